"""Find an event's attendees by name, e-mail or organization."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Attendee, Event


def attendee_filter(event: Event, query: str) -> ColumnElement[bool]:
    """The event's attendees whose name, e-mail or organization contains `query`."""
    condition: ColumnElement[bool] = Attendee.event_id == event.id
    if query.strip():
        needle = query.strip().lower()
        # autoescape: a typed % or _ is a character, not a wildcard.
        condition = condition & or_(
            func.lower(Attendee.name).contains(needle, autoescape=True),
            Attendee.email.contains(needle, autoescape=True),
            func.lower(Attendee.organization).contains(needle, autoescape=True),
        )
    return condition


async def list_attendees(
    session: AsyncSession, event: Event, query: str, offset: int, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """A page of the event's attendees, optionally filtered by name, e-mail or organization."""
    condition = attendee_filter(event, query)
    total = await session.scalar(select(func.count()).select_from(Attendee).where(condition))
    rows = await session.execute(
        select(
            Attendee.id,
            Attendee.email,
            Attendee.name,
            Attendee.organization,
            Attendee.role,
            Attendee.ticket_type,
        )
        .where(condition)
        .order_by(Attendee.name, Attendee.id)
        .offset(offset)
        .limit(limit)
    )
    return total or 0, [dict(row) for row in rows.mappings()]
