"""Reading connections: mine, with my notes and tags, and who connected with me (their card
only). Writes are operation kinds of the sync engine (api.connections.operations)."""

from __future__ import annotations

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from api.attendees.card import shared_card
from api.connections.schemas import (
    ConnectedWithMeOut,
    ConnectionOut,
)
from api.models import (
    Attendee,
    Connection,
    Event,
)
from api.vocabulary import normalize_term

# Reading connections (async, in the request's transaction).


async def my_connections(
    db: AsyncSession, event: Event, me: Attendee, q: str = "", tag: str = ""
) -> list[ConnectionOut]:
    """My connections in the event, last met first; `q` searches name, organization and note."""
    rows = await db.execute(
        select(Connection, Attendee)
        .join(Attendee, Attendee.id == Connection.other_id)
        .where(
            Connection.event_id == event.id,
            Connection.owner_id == me.id,
            Connection.removed_at.is_(None),
        )
        .order_by(Connection.last_met_at.desc(), Connection.id.desc())
    )
    mutual = await _connected_with(db, event, me)
    wanted, wanted_tag = normalize_term(q), normalize_term(tag)
    found = []
    for connection, other in rows:
        if wanted and wanted not in normalize_term(
            f"{other.name} {other.organization} {connection.note}"
        ):
            continue
        if wanted_tag and wanted_tag not in {normalize_term(t) for t in connection.tags}:
            continue
        found.append(
            ConnectionOut(
                id=connection.id,
                attendee=other.id,
                card=shared_card(other),
                note=connection.note,
                note_revision=connection.note_revision,
                tags=connection.tags,
                first_met_at=connection.first_met_at,
                last_met_at=connection.last_met_at,
                scan_count=connection.scan_count,
                mutual=other.id in mutual,
            )
        )
    return found


async def _connected_with(db: AsyncSession, event: Event, me: Attendee) -> set[int]:
    """Attendees who keep a connection to me."""
    return set(
        await db.scalars(
            select(Connection.owner_id).where(
                Connection.event_id == event.id,
                Connection.other_id == me.id,
                Connection.removed_at.is_(None),
            )
        )
    )


async def connected_with_me(
    db: AsyncSession, event: Event, me: Attendee
) -> list[ConnectedWithMeOut]:
    """Who connected with me: their card only (their note and tags are theirs)."""
    rows = await db.execute(
        select(Connection.first_met_at, Attendee)
        .join(Attendee, Attendee.id == Connection.owner_id)
        .where(
            Connection.event_id == event.id,
            Connection.other_id == me.id,
            Connection.removed_at.is_(None),
        )
        .order_by(Connection.first_met_at.desc(), Connection.id.desc())
    )
    mine = set(
        await db.scalars(
            select(Connection.other_id).where(
                Connection.event_id == event.id,
                Connection.owner_id == me.id,
                Connection.removed_at.is_(None),
            )
        )
    )
    return [
        ConnectedWithMeOut(
            attendee=other.id,
            card=shared_card(other),
            first_met_at=first_met_at,
            mutual=other.id in mine,
        )
        for first_met_at, other in rows
    ]
