"""Starter payloads."""

from __future__ import annotations

import msgspec


class ReasonOut(msgspec.Struct):
    """Why a starter was chosen: the kind of signal and the shared terms or session behind it."""

    kind: str
    terms: list[str]


class StarterOut(msgspec.Struct):
    text: str
    reason: ReasonOut


class TermOut(msgspec.Struct):
    """One interest of the event's vocabulary: its key, labels and aliases."""

    key: str
    label_en: str
    label_es: str
    aliases: list[str]


class ReaderOut(msgspec.Struct):
    """The signed-in attendee's own terms, as the engine reads them for the reader."""

    id: int
    interests: list[str]
    looking_for: list[str]
    can_help_with: list[str]


class StarterKitOut(msgspec.Struct):
    """What a phone needs to give the server's starters for a card opened offline: the event's
    vocabulary, how many people hold each interest (only interests at least five people hold:
    nothing about fewer), the phrase templates, and the reader's own terms."""

    people: int
    holders: dict[str, int]
    vocabulary: list[TermOut]
    phrases: dict[str, dict[str, list[str]]]
    me: ReaderOut
