"""Badge payloads."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from api.attendees.card import CardOut
from api.input import RowId
from api.starters.schemas import StarterOut

Layout = Literal["a4", "letter", "avery-5392"]


class BadgeOut(msgspec.Struct):
    """One's own badge, with the QR as rows of modules ("1" dark) for drawing offline."""

    event: str
    event_name: str
    token: str
    code: str
    url: str
    qr: list[str]
    card: CardOut


class ScanOut(msgspec.Struct):
    event: str
    event_name: str
    card: CardOut
    is_me: bool
    starters: list[StarterOut] = msgspec.field(default_factory=list)


class PrintRequest(msgspec.Struct, forbid_unknown_fields=True):
    layout: Layout = "a4"
    q: Annotated[str, msgspec.Meta(max_length=200)] = ""
    attendee_ids: Annotated[list[RowId], msgspec.Meta(max_length=100_000)] | None = None


class PrintJobOut(msgspec.Struct):
    id: str
    layout: str
    status: str  # running, done, failed
    total: int
    done: int
    error: str = ""  # a code: render_failed, server_stopped


class BadgeAddressOut(msgspec.Struct):
    """The address the QR codes point at (ENLACE_BASE_URL) and what is wrong with it for
    printed badges: loopback (no phone can open it), private (only on that network, no https),
    not_https; null when it is a public https address."""

    base_url: str
    problem: Literal["loopback", "private", "not_https"] | None
