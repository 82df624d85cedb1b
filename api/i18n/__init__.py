"""Server-side message catalogs (e-mails, export headers, merged notes) in Spanish and English."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"


@cache
def catalog(language: str) -> dict[str, str]:
    path = Path(__file__).parent / f"{language}.json"
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


def pick_language(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def translate(language: str | None, key: str, **values: Any) -> str:
    """The message `key` in `language`, with {placeholders} filled."""
    return catalog(pick_language(language))[key].format(**values)
