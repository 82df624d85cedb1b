"""Check-in operations, their answers, and the staff's list.

A check-in names who (the badge scanned, the attendee chosen by name, or, for an attendee
checking themselves in, the poster at the room's door) and where (`"entrance"` or a session id;
a poster names its room and the server finds the session). Structs an older offline client may
still send keep their fields; new fields get defaults.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.connections.schemas import Scanned
from api.input import RowId
from api.sync.contract import Operation, OperationResult

Place = RowId | Literal["entrance"]
PosterCode = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class CheckinOp(Operation, tag="checkin", kw_only=True):
    """Check someone in: staff name them by `scanned` badge or by `attendee` id at `place`; an
    attendee checks themselves in by the `poster` they scanned."""

    place: Place | None = None
    scanned: Scanned | None = None
    attendee: RowId | None = None
    poster: PosterCode | None = None
    # Made while the phone had no network: it answered from its staff list.
    offline: bool = False


class CheckinUndoOp(Operation, tag="checkin_undo", kw_only=True):
    """Undo a check-in made by mistake, named by the id of the operation that made it."""

    checkin: uuid.UUID


class CheckinResult(OperationResult, tag="checkin", kw_only=True):
    """Whom it concerns and where; for `already`, when and how they were first checked in there."""

    attendee: int | None = None
    name: str | None = None
    organization: str | None = None
    place: int | str | None = None
    session_title: str | None = None
    room: str | None = None
    first_at: datetime | None = None
    first_method: str | None = None


class CheckinUndoResult(OperationResult, tag="checkin_undo", kw_only=True):
    attendee: int | None = None
    place: int | str | None = None


class StaffPerson(msgspec.Struct, array_like=True):
    """One person of the staff's list: [id, name, organization, places checked in (with the
    first time at each)]."""

    id: int
    name: str
    organization: str
    checked: dict[str, datetime]


class StaffBadge(msgspec.Struct, array_like=True):
    """A badge as the staff's phone finds it: [directory key of its token, attendee id or null
    once deleted, replaced]."""

    key: str
    attendee: int | None
    revoked: bool


class StaffSession(msgspec.Struct):
    id: int
    title: str
    room: str
    starts_at: datetime
    ends_at: datetime
    restricted: bool
    # For restricted sessions: who may attend (attendee ids).
    registered: list[int] | None = None


class StaffListOut(msgspec.Struct):
    """What a check-in phone keeps to answer offline: names, organization and badge status
    only. Badges are found by the same key as the offline directory (a keyed hash of the
    token), so the list holds no token a phone could print."""

    event: str
    timezone: str
    salt: str
    sessions: list[StaffSession]
    people: list[StaffPerson]
    badges: list[StaffBadge]
    generated_at: datetime


class PosterOut(msgspec.Struct):
    """A room's poster as an attendee sees it before checking in."""

    event: str
    event_name: str
    room: str
    timezone: str
    sessions: list[StaffSession]
