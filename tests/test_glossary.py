"""One Spanish word for each thing the app names (README, "Spanish glossary"): the catalogs of
the app, the server's messages and the starters never use the words set aside."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

# The word used -> the words set aside for it.
GLOSSARY = {
    "acreditación (badge)": ["credencial", "gafete", "escarapela"],
    "tarjeta (what a scan shows)": ["ficha"],
    "registro de entrada (check-in)": ["check-in", "checkin"],
    "sincronizar (sync)": ["sync"],
    "correo (e-mail)": ["e-mail", "email", "mail"],
}
CATALOGS = ["pwa/i18n/es.json", "api/i18n/es.json"]


def spanish_texts() -> dict[str, str]:
    texts: dict[str, str] = {}
    for path in CATALOGS:
        for key, text in json.loads(Path(path).read_text("utf-8")).items():
            texts[f"{path} {key}"] = text
    phrases: dict[str, Any] = json.loads(Path("api/starters/phrases.json").read_text("utf-8"))
    for kind, templates in phrases["es"].items():
        for n, template in enumerate(templates):
            texts[f"phrases es {kind}[{n}]"] = template
    return texts


def without_placeholders(text: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "", text)


def test_the_texts_are_read() -> None:
    texts = spanish_texts()
    assert len(texts) > 500
    assert any("acreditación" in text for text in texts.values())


@pytest.mark.parametrize("used", list(GLOSSARY))
def test_no_spanish_text_uses_a_word_set_aside(used: str) -> None:
    pattern = re.compile(rf"(?i)\b({'|'.join(map(re.escape, GLOSSARY[used]))})\b")
    found = [
        f"{where}: {text}"
        for where, text in spanish_texts().items()
        if pattern.search(without_placeholders(text))
    ]
    assert not found, f"use {used}: {found}"
