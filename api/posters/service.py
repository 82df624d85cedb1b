"""Poster tokens in the database, made on demand for every room of the schedule and kept."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.badges.tokens import new_token
from api.db import insert_ignoring_duplicates
from api.errors import Conflict
from api.models import Event, EventSession, Poster, utcnow
from api.posters.content import PosterContent, event_days, poster_content, rooms_of
from api.posters.schemas import PosterRoomOut, PosterSessionOut, PostersOut


def _insert_missing_posters(session: AsyncSession) -> Insert:
    """INSERT of posters that skips rooms a concurrent request gave a poster meanwhile."""
    return insert_ignoring_duplicates(session, Poster, ["event_id", "room"])


async def event_schedule(session: AsyncSession, event: Event) -> list[EventSession]:
    """The event's sessions, earliest first."""
    found = await session.scalars(
        select(EventSession)
        .where(EventSession.event_id == event.id)
        .order_by(EventSession.starts_at, EventSession.id)
    )
    return list(found)


async def _tokens(session: AsyncSession, event: Event) -> dict[str, str]:
    rows = await session.execute(
        select(Poster.room, Poster.token).where(Poster.event_id == event.id)
    )
    return {room: token for room, token in rows}


async def room_tokens(session: AsyncSession, event: Event, rooms: list[str]) -> dict[str, str]:
    """Each room's poster token; rooms without a poster get one now, others keep theirs."""
    tokens = await _tokens(session, event)
    missing = [room for room in rooms if room not in tokens]
    if missing:
        now = utcnow()
        rows = [
            {"event_id": event.id, "room": room, "token": new_token(), "created_at": now}
            for room in missing
        ]
        await session.execute(_insert_missing_posters(session), rows)
        tokens = await _tokens(session, event)
    return {room: tokens[room] for room in rooms}


async def event_posters(
    session: AsyncSession, event: Event, day: date, base_url: str
) -> list[PosterContent]:
    """One poster per room of the schedule for `day`, in the rooms' alphabetical order."""
    schedule = await event_schedule(session, event)
    rooms = rooms_of(schedule)
    tokens = await room_tokens(session, event, rooms)
    return [poster_content(event, room, tokens[room], schedule, day, base_url) for room in rooms]


def no_rooms() -> Conflict:
    return Conflict(
        "The schedule has no rooms, so there are no posters to print. Give the sessions a room "
        "(the Room field of each session on the event's page), then print again.",
        code="no_rooms",
    )


def describe_posters(event: Event, day: date, posters: list[PosterContent]) -> PostersOut:
    """The rooms with their poster URL and that day's sessions, for the organizer's screen."""
    return PostersOut(
        day=day,
        days=event_days(event),
        timezone=event.timezone,
        rooms=[
            PosterRoomOut(
                room=poster.room,
                url=poster.url,
                sessions=[
                    PosterSessionOut(s.title, s.starts_at, s.ends_at, s.starts, s.ends)
                    for s in poster.sessions
                ],
            )
            for poster in posters
        ],
    )
