"""One attendee as an organizer sees and manages them: what was imported and how far they got
(invited, signed in, card set up, badge), correcting what the organizer owns, and removing
someone who has met nobody.

The organizer corrects what comes from registration (name, organization, role, language, ticket
type); what an attendee says about themselves (interests, needs, offers, links, bio, what their
card shares) stays theirs. Removing a person who has connections would take other attendees'
notes with them (a connection belongs to both people): that is refused, and the badge can be
reissued or the person asked to delete their account instead.
"""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.attendees.directory import refresh_directory
from api.attendees.fields import clean_text, shared_choice
from api.attendees.schemas import AttendeeDetail, AttendeeEdit
from api.badges.tokens import display_code
from api.errors import Conflict, Invalid
from api.models import Account, Attendee, Badge, Connection, Event


async def _connections(session: AsyncSession, attendee: Attendee) -> int:
    found = await session.scalar(
        select(func.count())
        .select_from(Connection)
        .where(or_(Connection.owner_id == attendee.id, Connection.other_id == attendee.id))
    )
    return int(found or 0)


async def attendee_detail(session: AsyncSession, attendee: Attendee) -> AttendeeDetail:
    badge = await session.scalar(
        select(Badge).where(Badge.attendee_id == attendee.id, Badge.revoked_at.is_(None))
    )
    signed_in = await session.scalar(
        select(Account.signed_in_at).where(Account.email == attendee.email)
    )
    return AttendeeDetail(
        id=attendee.id,
        email=attendee.email,
        name=attendee.name,
        organization=attendee.organization,
        role=attendee.role,
        language=attendee.language,
        ticket_type=attendee.ticket_type,
        interests=list(attendee.interests),
        looking_for=list(attendee.looking_for),
        can_help_with=list(attendee.can_help_with),
        shared_fields=shared_choice(attendee.shared_fields),
        invited_at=attendee.invited_at,
        invitations=attendee.invitations,
        signed_in_at=signed_in,
        card_set_up_at=attendee.card_set_up_at,
        badge_code=display_code(badge.token) if badge else None,
        badge_issued_at=badge.issued_at if badge else None,
        connections=await _connections(session, attendee),
    )


async def edit_attendee(session: AsyncSession, attendee: Attendee, data: AttendeeEdit) -> None:
    """Correct what registration said (cleaned as an import cleans it); the card follows."""
    for name in ("name", "organization", "role", "ticket_type", "language"):
        value = getattr(data, name)
        if value is None:
            continue
        value = clean_text(value)[0]
        if name == "name" and not value:
            raise Invalid("name: the name cannot be empty.", code="missing_name", field="name")
        setattr(attendee, name, value)
    await session.flush()
    await refresh_directory(session, attendee.event_id, [attendee.id])


async def remove_attendee(session: AsyncSession, event: Event, attendee: Attendee) -> None:
    """Remove someone who has met nobody (see the module docstring)."""
    met = await _connections(session, attendee)
    if met:
        raise Conflict(
            f"{attendee.name} has {met} connection(s): removing them would delete other "
            "attendees' notes about them. Reissue their badge if it was lost, or ask them to "
            "delete their account.",
            code="attendee_has_connections",
            connections=met,
        )
    await session.execute(delete(Attendee).where(Attendee.id == attendee.id))
    await refresh_directory(session, event.id, [attendee.id])
