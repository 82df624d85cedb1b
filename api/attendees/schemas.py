"""Attendee list and offline directory payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from api.attendees.card import CardOut


class AttendeeRow(msgspec.Struct):
    id: int
    email: str
    name: str
    organization: str
    role: str
    ticket_type: str


class AttendeePage(msgspec.Struct):
    total: int
    items: list[AttendeeRow]


class DirectoryEntry(msgspec.Struct):
    key: str
    nonce: str
    box: str


class DirectoryCard(msgspec.Struct):
    """What a directory entry's box holds."""

    attendee: int
    card: CardOut


class DirectoryOut(msgspec.Struct):
    """The event's cards for offline scans, each readable only with its badge token.

    For a scanned token (normalized: 28 Crockford base32 characters, upper case) and the salt
    (base64url-decoded):
      key = base64url(HMAC-SHA256(salt, token)[:key_bytes]), to find the entry;
      box = AES-256-GCM with key HMAC-SHA256(salt, "card|" + token), the entry's 12-byte nonce
            and the decoded `key` as additional data, sealing the JSON of a DirectoryCard.

    `version` rises with every change. With `full` the entries are the whole directory; without
    it (an answer to `?since=V`) they are the entries added or changed after V, and `removed`
    the keys to drop (revoked badges, cards turned off, people deleted).
    """

    event: str
    me: int
    algorithm: str
    salt: str
    key_bytes: int
    version: int
    full: bool
    entries: list[DirectoryEntry]
    removed: list[str]


class AttendeeDetail(msgspec.Struct):
    """One attendee as the organizer sees them: what was imported, what their card shares, and
    how far they got (invited, signed in, card set up, their badge)."""

    id: int
    email: str
    name: str
    organization: str
    role: str
    language: str
    ticket_type: str
    interests: list[str]
    looking_for: list[str]
    can_help_with: list[str]
    shared_fields: list[str]
    invited_at: datetime | None
    invitations: int
    signed_in_at: datetime | None
    card_set_up_at: datetime | None
    badge_code: str | None
    badge_issued_at: datetime | None
    # People they met plus people who met them: what removing them would take from others.
    connections: int


class AttendeeEdit(msgspec.Struct, forbid_unknown_fields=True):
    """What the organizer corrects of a registration; absent fields stay as they are."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    organization: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    role: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    ticket_type: Annotated[str, msgspec.Meta(max_length=120)] | None = None
    language: Literal["es", "en", ""] | None = None
