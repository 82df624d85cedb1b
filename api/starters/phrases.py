"""The starter templates, from the catalog phrases.json (English and Spanish, same kinds)."""

from __future__ import annotations

import json
from pathlib import Path

PHRASES: dict[str, dict[str, list[str]]] = json.loads(
    (Path(__file__).with_name("phrases.json")).read_text(encoding="utf-8")
)
