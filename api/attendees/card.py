"""The card a badge scan shows: name and organization, plus only the fields the person shared."""

from __future__ import annotations

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
