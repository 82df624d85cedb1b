"""Check-in reads: the staff's offline list, and a room's poster as an attendee sees it."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.attendees.directory import directory_key, directory_salt
from api.checkin.attendance import ENTRANCE, counts
from api.checkin.operations import poster_token
from api.checkin.schemas import PosterOut, StaffBadge, StaffListOut, StaffPerson, StaffSession
from api.errors import NotFound
from api.models import (
    Attendee,
    Badge,
    Checkin,
    Event,
    EventSession,
    Poster,
    SessionRegistration,
)


async def _sessions(db: AsyncSession, event_id: int, room: str | None = None) -> list[StaffSession]:
    query = select(EventSession).where(EventSession.event_id == event_id)
    if room is not None:
        query = query.where(EventSession.room == room)
    rows = list(await db.scalars(query.order_by(EventSession.starts_at, EventSession.id)))
    restricted = [s.id for s in rows if s.restricted]
    registered: dict[int, list[int]] = {s: [] for s in restricted}
    if restricted:
        pairs = await db.execute(
            select(SessionRegistration.session_id, SessionRegistration.attendee_id).where(
                SessionRegistration.session_id.in_(restricted)
            )
        )
        for session_id, person in pairs:
            registered[session_id].append(person)
    return [
        StaffSession(
            id=s.id,
            title=s.title,
            room=s.room,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            restricted=s.restricted,
            registered=registered.get(s.id),
        )
        for s in rows
    ]


async def staff_list(db: AsyncSession, event: Event, secret_key: str) -> StaffListOut:
    """Everything a check-in phone needs to answer offline, for the event's staff."""
    generated = datetime.now(UTC)
    salt = directory_salt(secret_key, event.id)
    checked: dict[int, dict[str, datetime]] = {}
    firsts = await db.execute(
        select(Checkin.attendee_id, Checkin.session_id, func.min(Checkin.at))
        .where(Checkin.event_id == event.id, counts())
        .group_by(Checkin.attendee_id, Checkin.session_id)
    )
    for person, session_id, first in firsts:
        if person is None:  # what counts names someone
            continue
        place = ENTRANCE if session_id is None else str(session_id)
        checked.setdefault(person, {})[place] = first
    people = [
        StaffPerson(
            id=row.id, name=row.name, organization=row.organization, checked=checked.get(row.id, {})
        )
        for row in await db.execute(
            select(Attendee.id, Attendee.name, Attendee.organization)
            .where(Attendee.event_id == event.id)
            .order_by(Attendee.name, Attendee.id)
        )
    ]
    badges = [
        StaffBadge(key=directory_key(salt, token), attendee=person, revoked=revoked is not None)
        for token, person, revoked in await db.execute(
            select(Badge.token, Badge.attendee_id, Badge.revoked_at).where(
                Badge.event_id == event.id
            )
        )
    ]
    return StaffListOut(
        event=event.slug,
        timezone=event.timezone,
        salt=base64.urlsafe_b64encode(salt).rstrip(b"=").decode("ascii"),
        sessions=await _sessions(db, event.id),
        people=people,
        badges=badges,
        generated_at=generated,
    )


def encoded_list(found: StaffListOut) -> tuple[bytes, str]:
    """The list as JSON and its ETag: a digest of everything in it but when it was made, so a
    phone whose copy is current gets a 304 instead of every name again."""
    stable = msgspec.structs.replace(found, generated_at=datetime(2000, 1, 1, tzinfo=UTC))
    digest = hashlib.sha256(msgspec.json.encode(stable)).hexdigest()[:32]
    return msgspec.json.encode(found), f'"{digest}"'


async def poster_for(db: AsyncSession, scanned: str, email: str) -> PosterOut:
    """The room and its sessions behind a poster, for an attendee of its event; else 404."""
    token = poster_token(scanned)
    found = None
    if token is not None:
        found = (
            await db.execute(
                select(Poster, Event)
                .join(Event, Event.id == Poster.event_id)
                .join(Attendee, (Attendee.event_id == Event.id) & (Attendee.email == email))
                .where(Poster.token == token)
            )
        ).first()
    if found is None:
        # One answer for an unknown poster and one of an event the person does not attend.
        raise NotFound(
            "This poster is not one of your events'. Scan the poster at the room's door.",
            code="unknown_poster",
        )
    poster, event = found
    return PosterOut(
        event=event.slug,
        event_name=event.name,
        room=poster.room,
        timezone=event.timezone,
        sessions=await _sessions(db, event.id, poster.room),
    )
