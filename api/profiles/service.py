"""Read and edit one's own attendee profile."""

from __future__ import annotations

from msgspec import UNSET, structs

from api.attendees.fields import (
    LIST_FIELDS,
    OWNED_AFTER_EDIT,
    clean_terms,
    clean_text,
    shared_choice,
)
from api.errors import Invalid
from api.models import Attendee, Event, utcnow
from api.profiles.schemas import ProfileOut, ProfileUpdate


def describe_profile(event: Event, attendee: Attendee) -> ProfileOut:
    """The attendee's profile as they see it themselves."""
    return ProfileOut(
        event=event.slug,
        email=attendee.email,
        name=attendee.name,
        organization=attendee.organization,
        role=attendee.role,
        phone=attendee.phone,
        interests=attendee.interests,
        looking_for=attendee.looking_for,
        can_help_with=attendee.can_help_with,
        links=attendee.links,
        bio=attendee.bio,
        shared_fields=shared_choice(attendee.shared_fields),
        offline_card=attendee.offline_card,
    )


def apply_profile_update(attendee: Attendee, data: ProfileUpdate) -> None:
    """Copy the given fields onto the attendee, normalized; absent fields stay as they were."""
    edited = False
    for name, value in structs.asdict(data).items():
        if value is UNSET:
            continue
        if name == "shared_fields":
            value = shared_choice(value)
        elif name in LIST_FIELDS:
            value = clean_terms(value)
        elif name == "bio":
            value = clean_text(value, keep_newlines=True)[0]
        elif isinstance(value, str):
            # The same cleaning as an import: NFC, no control or invisible direction characters.
            value = clean_text(value)[0]
        if name == "name" and not value:
            raise Invalid("name: your name cannot be empty.", code="missing_name", field="name")
        if name in OWNED_AFTER_EDIT and value != getattr(attendee, name):
            edited = True
        setattr(attendee, name, value)
    if edited:
        attendee.profile_edited_at = utcnow()
    if attendee.card_set_up_at is None:
        attendee.card_set_up_at = utcnow()
