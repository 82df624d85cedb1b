"""Who a signed-in account is in an event: its roles, and for attendees their own record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import NotFound
from api.models import Account, Attendee, Event, EventRole

ORGANIZER = ("organizer",)
STAFF = ("organizer", "staff")
ANYONE = ("organizer", "staff", "attendee")


@dataclass(frozen=True, slots=True)
class Membership:
    """An event and the roles the signed-in account holds in it."""

    event: Event
    roles: list[str]


@dataclass(frozen=True, slots=True)
class AttendeeMembership:
    """An event the signed-in account attends, with their own attendee record."""

    event: Event
    attendee: Attendee


def _event_not_found() -> NotFound:
    # One answer for an unknown event and one the account has no part in: no oracle for slugs.
    return NotFound("No such event, or you are not part of it.", code="event_not_found")


async def roles_in_event(session: AsyncSession, event: Event, account: Account) -> list[str]:
    """The account's roles in the event: its staff roles, then "attendee" if registered."""
    roles = list(
        await session.scalars(
            select(EventRole.role).where(
                EventRole.event_id == event.id, EventRole.account_id == account.id
            )
        )
    )
    is_attendee = await session.scalar(
        select(Attendee.id).where(Attendee.event_id == event.id, Attendee.email == account.email)
    )
    if is_attendee is not None:
        roles.append("attendee")
    return roles


async def find_membership(
    session: AsyncSession, slug: str, account: Account, allowed: Sequence[str] = ANYONE
) -> Membership:
    """The event and the account's roles in it, if one of them is allowed; else event_not_found."""
    event = await session.scalar(select(Event).where(Event.slug == slug))
    if event is not None:
        roles = await roles_in_event(session, event, account)
        if any(role in allowed for role in roles):
            return Membership(event, roles)
    raise _event_not_found()


async def find_attendee_membership(
    session: AsyncSession, slug: str, account: Account
) -> AttendeeMembership:
    """The event the account attends and their attendee record; else event_not_found."""
    # One query on the hot path (every scan screen, the directory): the event and the record.
    found = (
        await session.execute(
            select(Event, Attendee)
            .join(Attendee, Attendee.event_id == Event.id)
            .where(Event.slug == slug, Attendee.email == account.email)
        )
    ).first()
    if found is None:
        raise _event_not_found()
    event, attendee = found
    return AttendeeMembership(event, attendee)
