"""Membership as Litestar dependencies, resolved from the `slug` path parameter.

A handler declares what it needs (`event_organizer: OrganizedEvent`) and receives the event and
the role already checked; unknown and forbidden events answer alike (404 event_not_found). The
names carry an `event_` prefix so no request body field shares them: Litestar reports a body
field that fails validation under a dependency's name as a server error instead of a 400.
"""

from __future__ import annotations

from litestar.di import NamedDependency
from litestar.params import FromPath

from api.attendees.membership import (
    ORGANIZER,
    STAFF,
    AttendeeMembership,
    Membership,
    find_attendee_membership,
    find_membership,
)
from api.dependencies import CurrentAccount, DbSession


async def provide_event_member(
    slug: FromPath[str], db: DbSession, account: CurrentAccount
) -> Membership:
    """The event for anyone with a role in it (organizer, staff or attendee)."""
    return await find_membership(db, slug, account)


async def provide_event_staff(
    slug: FromPath[str], db: DbSession, account: CurrentAccount
) -> Membership:
    """The event for its organizers and check-in staff."""
    return await find_membership(db, slug, account, STAFF)


async def provide_event_organizer(
    slug: FromPath[str], db: DbSession, account: CurrentAccount
) -> Membership:
    """The event for its organizers."""
    return await find_membership(db, slug, account, ORGANIZER)


async def provide_event_attendee(
    slug: FromPath[str], db: DbSession, account: CurrentAccount
) -> AttendeeMembership:
    """The event for its attendees, with the signed-in attendee's own record."""
    return await find_attendee_membership(db, slug, account)


# Registered under these names in api.app; a handler's parameter takes the same name.
MEMBERSHIP_PROVIDERS = {
    "event_member": provide_event_member,
    "event_staff": provide_event_staff,
    "event_organizer": provide_event_organizer,
    "event_attendee": provide_event_attendee,
}
EventMember = NamedDependency[Membership]
StaffedEvent = NamedDependency[Membership]
OrganizedEvent = NamedDependency[Membership]
AttendeeMember = NamedDependency[AttendeeMembership]
