"""The card a badge scan shows: name and organization, plus only the fields the person shared."""

from __future__ import annotations

from typing import Any, cast

import msgspec

from api.attendees.fields import SHAREABLE
from api.models import Attendee


class CardOut(msgspec.Struct, omit_defaults=True):
    """What scanning someone's badge shows: fields they did not share are absent."""

    name: str
    organization: str
    role: str | None = None
    interests: list[str] | None = None
    looking_for: list[str] | None = None
    can_help_with: list[str] | None = None
    email: str | None = None
    phone: str | None = None
    links: list[str] | None = None
    bio: str | None = None


def shared_card(attendee: Attendee) -> CardOut:
    """What a badge scan reveals: name and organization, plus only the fields they chose."""
    shared = set(attendee.shared_fields)
    values = {field: getattr(attendee, field) for field in SHAREABLE if field in shared}
    return CardOut(name=attendee.name, organization=attendee.organization, **values)


# The columns shared_card reads: a row of them instead of a loaded Attendee (a third the cost).
CARD_COLUMNS = (
    Attendee.id,
    Attendee.name,
    Attendee.organization,
    Attendee.shared_fields,
    *(getattr(Attendee, name) for name in SHAREABLE if name != "email"),
    Attendee.email,
)


def card_of(row: Any) -> CardOut:
    """The card a scan shows, from a row of CARD_COLUMNS."""
    # A row of CARD_COLUMNS has every attribute shared_card reads.
    return shared_card(cast(Attendee, row))
