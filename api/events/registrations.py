"""Who may attend a restricted session, and what the schedule keeps because people attended it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.service import normalize_email
from api.errors import Conflict, Invalid, NotFound
from api.events.schemas import RegistrationsIn, RegistrationsOut
from api.input import MAX_ROW_ID
from api.models import Attendee, Checkin, Event, EventSession, SessionRegistration

# Ids arrive in the path; PostgreSQL refuses integers past 32 bits at the driver.


def _comparable(email: str) -> str:
    """An address as attendees' are stored; one that does not parse stays as typed (unknown)."""
    try:
        return normalize_email(email)
    except Invalid:
        return email.strip()


async def _session_of(session: AsyncSession, event: Event, session_id: int) -> EventSession:
    row = (
        await session.scalar(
            select(EventSession).where(
                EventSession.id == session_id, EventSession.event_id == event.id
            )
        )
        if 0 < session_id <= MAX_ROW_ID
        else None
    )
    if row is None:
        raise NotFound("No such session in this event.", code="session_not_found")
    return row


async def _registered_emails(session: AsyncSession, session_id: int) -> list[str]:
    emails = await session.scalars(
        select(Attendee.email)
        .join(SessionRegistration, SessionRegistration.attendee_id == Attendee.id)
        .where(SessionRegistration.session_id == session_id)
        .order_by(Attendee.email)
    )
    return list(emails)


async def list_registrations(
    session: AsyncSession, event: Event, session_id: int
) -> RegistrationsOut:
    """The attendees registered for one session of the event."""
    row = await _session_of(session, event, session_id)
    return RegistrationsOut(
        session_id=row.id,
        restricted=row.restricted,
        registered=await _registered_emails(session, row.id),
    )


async def set_registrations(
    session: AsyncSession, event: Event, session_id: int, data: RegistrationsIn
) -> RegistrationsOut:
    """Replace who is registered for a session; answer the addresses that are not attendees."""
    row = await _session_of(session, event, session_id)
    wanted = list(dict.fromkeys(_comparable(e) for e in data.emails if e.strip()))
    found: dict[str, int] = {}
    # Chunked so a long list stays under the databases' bound-parameter limits.
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        found.update(
            (email, attendee_id)
            for email, attendee_id in await session.execute(
                select(Attendee.email, Attendee.id).where(
                    Attendee.event_id == event.id, Attendee.email.in_(chunk)
                )
            )
        )
    await session.execute(
        delete(SessionRegistration).where(SessionRegistration.session_id == row.id)
    )
    session.add_all(
        SessionRegistration(session_id=row.id, attendee_id=attendee_id)
        for attendee_id in found.values()
    )
    await session.flush()
    return RegistrationsOut(
        session_id=row.id,
        restricted=row.restricted,
        registered=sorted(found),
        not_attendees=[email for email in wanted if email not in found],
    )


async def refuse_dropping_attended(session: AsyncSession, dropped: Sequence[EventSession]) -> None:
    """Refuse to delete sessions that have check-ins: deleting one would delete them too."""
    if not dropped:
        return
    by_id = {row.id: row for row in dropped}
    # Every attempt counts here, refused ones too: they are the door's audit trail.
    counted = await session.execute(
        select(Checkin.session_id, func.count())
        .where(Checkin.session_id.in_(by_id))
        .group_by(Checkin.session_id)
        .order_by(Checkin.session_id)
    )
    for session_id, total in counted:
        assert session_id is not None  # selected by id above
        title = by_id[session_id].title
        raise Conflict(
            f"sessions: “{title}” already has {total} check-in(s), and removing it from the "
            "schedule would delete that attendance record. Keep the session in the list; you "
            "may rename it or change its time.",
            code="session_has_checkins",
            field="sessions",
            session_id=session_id,
            title=title,
        )
