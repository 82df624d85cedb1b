"""Who runs an event: organizers and check-in staff, added, re-roled and removed by organizers.

An event always keeps an organizer, and an organizer never demotes or removes themselves: another
organizer does it. Both rules answer 409 with the reason, so a slip of the finger on a phone
cannot leave an event with nobody able to manage it, or lock its organizer out.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.service import normalize_email
from api.errors import Conflict, NotFound
from api.events.schemas import Role, StaffIn, StaffOut
from api.input import MAX_ROW_ID
from api.models import Account, Event, EventRole

# Ids arrive in the path; PostgreSQL refuses integers past 32 bits at the driver.


def _staff_not_found() -> NotFound:
    return NotFound("No such organizer or staff member in this event.", code="staff_not_found")


async def _organizer_count(session: AsyncSession, event: Event) -> int:
    # Locking the organizers' rows (PostgreSQL; SQLite writes one at a time already) keeps two
    # organizers removing each other at once from leaving the event with none.
    ids = await session.scalars(
        select(EventRole.id)
        .where(EventRole.event_id == event.id, EventRole.role == "organizer")
        .with_for_update()
    )
    return len(list(ids))


async def _check_leaving_organizer(
    session: AsyncSession, event: Event, row: EventRole, email: str, me: Account
) -> None:
    """Refuse to take the organizer role from the event's last organizer, or from oneself."""
    if row.role != "organizer":
        return
    if await _organizer_count(session, event) <= 1:
        raise Conflict(
            f"{email} is the event's only organizer, and an event needs one: "
            "add another organizer first.",
            code="last_organizer",
        )
    if row.account_id == me.id:
        raise Conflict(
            "You cannot remove yourself or give up your own organizer role here, "
            "so you do not lock yourself out by mistake: ask another organizer to do it.",
            code="cannot_remove_yourself",
        )


def _out(row: EventRole, email: str, me: Account) -> StaffOut:
    return StaffOut(id=row.id, email=email, role=row.role, you=row.account_id == me.id)


async def list_staff(session: AsyncSession, event: Event, me: Account) -> list[StaffOut]:
    """The event's organizers, then its check-in staff, each by e-mail."""
    rows = await session.execute(
        select(EventRole, Account.email)
        .join(Account, EventRole.account_id == Account.id)
        .where(EventRole.event_id == event.id)
        .order_by(EventRole.role, Account.email)
    )
    return [_out(row, email, me) for row, email in rows]


async def add_staff(session: AsyncSession, event: Event, me: Account, data: StaffIn) -> StaffOut:
    """Give an address a role in the event, creating its account if needed (they sign in later)."""
    email = normalize_email(data.email)
    account = await session.scalar(select(Account).where(Account.email == email))
    if account is None:
        account = Account(email=email)
        session.add(account)
        await session.flush()
    row = await session.scalar(
        select(EventRole).where(EventRole.event_id == event.id, EventRole.account_id == account.id)
    )
    if row is None:
        row = EventRole(event_id=event.id, account_id=account.id, role=data.role)
        session.add(row)
        await session.flush()
        return _out(row, email, me)
    return await _set_role(session, event, me, row, email, data.role)


async def _find(session: AsyncSession, event: Event, role_id: int) -> tuple[EventRole, str]:
    if not 0 < role_id <= MAX_ROW_ID:
        raise _staff_not_found()
    found = (
        await session.execute(
            select(EventRole, Account.email)
            .join(Account, EventRole.account_id == Account.id)
            .where(EventRole.id == role_id, EventRole.event_id == event.id)
        )
    ).first()
    if found is None:
        raise _staff_not_found()
    return found[0], found[1]


async def _set_role(
    session: AsyncSession, event: Event, me: Account, row: EventRole, email: str, role: Role
) -> StaffOut:
    if role != "organizer":
        await _check_leaving_organizer(session, event, row, email, me)
    row.role = role
    return _out(row, email, me)


async def change_role(
    session: AsyncSession, event: Event, me: Account, role_id: int, role: Role
) -> StaffOut:
    """Make an organizer check-in staff, or the reverse."""
    row, email = await _find(session, event, role_id)
    return await _set_role(session, event, me, row, email, role)


async def remove_staff(session: AsyncSession, event: Event, me: Account, role_id: int) -> None:
    """Take away someone's role in the event (their account and any attendee record stay)."""
    row, email = await _find(session, event, role_id)
    await _check_leaving_organizer(session, event, row, email, me)
    await session.delete(row)
