"""Read and edit one's own attendee profile."""

from __future__ import annotations

from msgspec import UNSET, structs
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Invalid, NotFound
from api.imports.parse import clean_text
from api.models import Account, Attendee, Event, utcnow
from api.profiles.schemas import SHAREABLE, ProfileOut, ProfileUpdate
from api.vocabulary import normalize_term

LIST_FIELDS = ("interests", "looking_for", "can_help_with", "links")
# Fields a later import stops overwriting once the attendee changed them (see api.imports).
IMPORT_OWNED_BY_ATTENDEE = ("phone", "interests", "looking_for", "can_help_with", "links", "bio")


async def own_attendee(session: AsyncSession, event: Event, account: Account) -> Attendee:
    attendee = await session.scalar(
        select(Attendee).where(Attendee.event_id == event.id, Attendee.email == account.email)
    )
    if attendee is None:
        raise NotFound("You are not registered as an attendee of this event.", code="no_profile")
    return attendee


def describe_profile(event: Event, attendee: Attendee) -> ProfileOut:
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
        shared_fields=[f for f in SHAREABLE if f in attendee.shared_fields],
        offline_card=attendee.offline_card,
    )


def _clean(value: str) -> str:
    # The same cleaning as an import: NFC, no control or invisible direction characters.
    return clean_text(value)[0]


def _dedupe(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        cleaned = _clean(value)
        if cleaned:
            seen.setdefault(normalize_term(cleaned), cleaned)
    return list(seen.values())


def apply_profile_update(attendee: Attendee, data: ProfileUpdate) -> None:
    """Copy the given fields onto the attendee, normalized; absent fields stay as they were."""
    edited = False
    for name, value in structs.asdict(data).items():
        if value is UNSET:
            continue
        if name == "shared_fields":
            value = [f for f in SHAREABLE if f in value]
        elif name in LIST_FIELDS:
            value = _dedupe(value)
        elif name == "bio":
            value = clean_text(value, keep_newlines=True)[0]
        elif isinstance(value, str):
            value = _clean(value)
        if name == "name" and not value:
            raise Invalid("name: your name cannot be empty.", code="missing_name", field="name")
        if name in IMPORT_OWNED_BY_ATTENDEE and value != getattr(attendee, name):
            edited = True
        setattr(attendee, name, value)
    if edited:
        attendee.profile_edited_at = utcnow()
