"""Event payloads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from api.input import RowId

Slug = Annotated[
    str,
    msgspec.Meta(
        pattern="^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$",
        description="lower-case letters, digits and hyphens, e.g. 'madrid-2026'",
    ),
]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Room = Annotated[str, msgspec.Meta(max_length=100)]
TimeZoneName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["Europe/Madrid"])]
Language = Literal["es", "en"]
Role = Literal["organizer", "staff"]


class SessionIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    starts_at: datetime
    ends_at: datetime
    room: Room = ""
    id: RowId | None = None
    # Only the people registered for it (PUT .../sessions/{id}/registrations) may check in.
    restricted: bool = False


class SessionOut(msgspec.Struct):
    id: int
    title: str
    room: str
    starts_at: datetime
    ends_at: datetime
    restricted: bool = False


class InterestIn(msgspec.Struct, forbid_unknown_fields=True):
    label_en: Label
    label_es: Label
    aliases: Annotated[list[Label], msgspec.Meta(max_length=30)] = msgspec.field(
        default_factory=list
    )
    key: str | None = None


class InterestOut(msgspec.Struct):
    key: str
    label_en: str
    label_es: str
    aliases: list[str]


class EventCreate(msgspec.Struct, forbid_unknown_fields=True):
    slug: Slug
    name: Title
    starts_on: date
    ends_on: date
    timezone: TimeZoneName
    languages: Annotated[list[Language], msgspec.Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: ["es", "en"]
    )
    sessions: Annotated[list[SessionIn], msgspec.Meta(max_length=2000)] = msgspec.field(
        default_factory=list
    )
    interests: Annotated[list[InterestIn], msgspec.Meta(max_length=2000)] = msgspec.field(
        default_factory=list
    )


class EventUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Partial update; `sessions` and `interests`, when given, replace the whole list."""

    name: Title | UnsetType = UNSET
    starts_on: date | UnsetType = UNSET
    ends_on: date | UnsetType = UNSET
    timezone: TimeZoneName | UnsetType = UNSET
    languages: Annotated[list[Language], msgspec.Meta(min_length=1)] | UnsetType = UNSET
    sessions: Annotated[list[SessionIn], msgspec.Meta(max_length=2000)] | UnsetType = UNSET
    interests: Annotated[list[InterestIn], msgspec.Meta(max_length=2000)] | UnsetType = UNSET


class EventSummary(msgspec.Struct):
    slug: str
    name: str
    starts_on: date
    ends_on: date
    timezone: str
    languages: list[str]
    roles: list[str]


class EventOut(msgspec.Struct):
    slug: str
    name: str
    starts_on: date
    ends_on: date
    timezone: str
    languages: list[str]
    roles: list[str]
    sessions: list[SessionOut]
    interests: list[InterestOut]
    attendee_count: int


class StaffIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=320)]
    role: Role = "staff"


class RoleIn(msgspec.Struct, forbid_unknown_fields=True):
    role: Role


class StaffOut(msgspec.Struct):
    id: int
    email: str
    role: str
    # The signed-in organizer themselves (who cannot remove or demote their own entry).
    you: bool = False


Email = Annotated[str, msgspec.Meta(max_length=320)]


class RegistrationsIn(msgspec.Struct, forbid_unknown_fields=True):
    """Who is registered for a session: the whole list, replacing the stored one."""

    emails: Annotated[list[Email], msgspec.Meta(max_length=50000)]


class RegistrationsOut(msgspec.Struct):
    session_id: int
    restricted: bool
    # Attendees registered for the session, by e-mail.
    registered: list[str]
    # Addresses sent that belong to no attendee of the event (not registered: fix and send again).
    not_attendees: list[str] = msgspec.field(default_factory=list)
