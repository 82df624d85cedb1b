"""The service worker's VERSION is a hash of the app shell, so a changed shell always updates.

`make pwa-version` (python -m tests.browser.shell_version --write) rewrites it after a change.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

from api.app import VENDOR_FILES

PWA = Path(__file__).resolve().parents[2] / "pwa"
SW = PWA / "sw.js"
VERSION_LINE = re.compile(r'^const VERSION = "([^"]*)";$', re.MULTILINE)
SHELL_BLOCK = re.compile(r"^const SHELL = (\[.*?\]);$", re.MULTILINE | re.DOTALL)


def shell_files() -> dict[str, Path]:
    """The files the service worker precaches, by address ("/" is index.html; /vendor/ files
    come from node_modules)."""
    block = SHELL_BLOCK.search(SW.read_text())
    assert block, "sw.js must declare const SHELL = [...];"
    paths = json.loads(re.sub(r",\s*\]", "]", block.group(1)))
    files = {}
    for address in paths:
        if address.startswith("/vendor/"):
            files[address] = VENDOR_FILES[address.removeprefix("/vendor/")]
        else:
            files[address] = PWA / ("index.html" if address == "/" else address.lstrip("/"))
    return files


def expected_version() -> str:
    digest = hashlib.sha256()
    for address, path in sorted(shell_files().items()):
        digest.update(address.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def current_version() -> str:
    found = VERSION_LINE.search(SW.read_text())
    assert found, 'sw.js must declare const VERSION = "...";'
    return found.group(1)


def write_version() -> str:
    version = expected_version()
    SW.write_text(VERSION_LINE.sub(f'const VERSION = "{version}";', SW.read_text(), count=1))
    return version


if __name__ == "__main__":
    if "--write" in sys.argv:
        print(f"sw.js VERSION = {write_version()}")
    else:
        print(expected_version())
