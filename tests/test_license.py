"""The licence the package declares is the one the repository ships, word for word."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# SHA-256 of the FSF's plain-text GNU AGPL v3 (agpl-3.0.txt, 34,523 bytes).
AGPL_3_SHA256 = "0d96a4ff68ad6d4b6f1f30f713b18d5184912ba8dd389f86aa7710db079abcb0"


def test_the_license_file_is_the_agpl_the_package_declares() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert declared == "AGPL-3.0-or-later"
    text = (ROOT / "LICENSE").read_bytes()
    assert text.lstrip().startswith(b"GNU AFFERO GENERAL PUBLIC LICENSE\n")
    assert hashlib.sha256(text).hexdigest() == AGPL_3_SHA256
