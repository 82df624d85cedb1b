"""Connection and outbox payloads.

Connections' operation kinds and their results (the contract they follow is
`api.sync.contract`). Structs an older offline client may still send keep their fields; new
fields get defaults.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.attendees.card import CardOut
from api.input import RowId
from api.sync.contract import Operation, OperationResult

NOTE_MAX_CHARS = 5000
TAG_MAX_CHARS = 40
MAX_TAGS = 20

Scanned = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
NoteText = Annotated[str, msgspec.Meta(max_length=NOTE_MAX_CHARS)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=TAG_MAX_CHARS)]
Tags = Annotated[list[Tag], msgspec.Meta(max_length=MAX_TAGS)]
Revision = Annotated[int, msgspec.Meta(ge=0)]


class ScanOp(Operation, tag="scan", kw_only=True):
    """A badge was scanned (or its code typed): connect with its owner."""

    scanned: Scanned


class OnConnection(Operation, kw_only=True):
    """An edit of one's own connection, named by its id or, offline before the first sync
    answered, by the badge scanned to make it."""

    connection: RowId | None = None
    scanned: Scanned | None = None


class NoteOp(OnConnection, tag="note", kw_only=True):
    text: NoteText
    base_revision: Revision


class TagsOp(OnConnection, tag="tags", kw_only=True):
    tags: Tags


class RemoveOp(OnConnection, tag="remove", kw_only=True):
    pass


class ConnectBackOp(Operation, tag="connect_back", kw_only=True):
    """Connect with someone who connected with me (their attendee id, from connected-with-me)."""

    attendee: RowId


class ConnectionResult(OperationResult, kw_only=True):
    """A connection operation's answer: whom it concerns and, as of now, what the phone shows."""

    connection: int | None = None
    attendee: int | None = None
    card: CardOut | None = None
    mutual: bool | None = None
    note: str | None = None
    note_revision: int | None = None
    tags: list[str] | None = None


class ScanResult(ConnectionResult, tag="scan", kw_only=True):
    """With the card of the person scanned and whether they connected with me too."""


class NoteResult(ConnectionResult, tag="note", kw_only=True):
    """With the note as now saved (both texts, when edited on two devices) and its revision."""


class TagsResult(ConnectionResult, tag="tags", kw_only=True):
    """With the tags as now saved."""


class RemoveResult(ConnectionResult, tag="remove", kw_only=True):
    pass


class ConnectBackResult(ConnectionResult, tag="connect_back", kw_only=True):
    """With the card of the person connected back to."""


class ConnectionOut(msgspec.Struct):
    """One of my connections, with my private note and tags."""

    id: int
    attendee: int
    card: CardOut
    note: str
    note_revision: int
    tags: list[str]
    first_met_at: datetime
    last_met_at: datetime
    scan_count: int
    mutual: bool


class ConnectedWithMeOut(msgspec.Struct):
    """Someone who connected with me: their card only, never their note or tags."""

    attendee: int
    card: CardOut
    first_met_at: datetime
    mutual: bool
