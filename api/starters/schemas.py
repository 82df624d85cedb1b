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
