"""Create, read and edit events; decide who may see or change them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from msgspec import UNSET, UnsetType
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Conflict, Invalid, NotFound
from api.events.registrations import refuse_dropping_attended
from api.events.schemas import (
    EventCreate,
    EventOut,
    EventSummary,
    EventUpdate,
    InterestIn,
    InterestOut,
    SessionIn,
    SessionOut,
)
from api.models import Account, Attendee, Event, EventRole, EventSession, Interest
from api.vocabulary import normalize_term, slugify


async def my_events(session: AsyncSession, account: Account) -> list[EventSummary]:
    """Events the account organizes, staffs or attends, soonest first."""
    roles: dict[int, list[str]] = {}
    for event_id, role in await session.execute(
        select(EventRole.event_id, EventRole.role).where(EventRole.account_id == account.id)
    ):
        roles.setdefault(event_id, []).append(role)
    for event_id in await session.scalars(
        select(Attendee.event_id).where(Attendee.email == account.email)
    ):
        roles.setdefault(event_id, []).append("attendee")
    if not roles:
        return []
    events = await session.scalars(
        select(Event).where(Event.id.in_(roles)).order_by(Event.starts_on, Event.name)
    )
    return [
        EventSummary(
            slug=e.slug,
            name=e.name,
            starts_on=e.starts_on,
            ends_on=e.ends_on,
            timezone=e.timezone,
            languages=e.languages,
            roles=roles[e.id],
        )
        for e in events
    ]


@cache
def _known_timezones() -> frozenset[str]:
    # "localtime" and friends name the server's own setting, not a place.
    return frozenset(available_timezones() - {"localtime", "Factory", "posixrules"})


def _check_timezone(name: str) -> ZoneInfo:
    if name not in _known_timezones():
        raise Invalid(
            f"timezone: '{name}' is not a known time zone; use a name like 'Europe/Madrid'.",
            code="invalid_timezone",
            field="timezone",
        )
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError as exc:  # pragma: no cover - listed zones load
        raise Invalid(
            f"timezone: '{name}' cannot be loaded", code="invalid_timezone", field="timezone"
        ) from exc


def _check_dates(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise Invalid(
            "ends_on: the event cannot end before it starts.", code="invalid_dates", field="ends_on"
        )


def _aware(value: datetime, zone: ZoneInfo, field: str) -> datetime:
    """The instant in UTC; a bare time is the venue's local time (how schedules are typed)."""
    try:
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        instant = value.replace(tzinfo=zone).astimezone(UTC)
        exists = instant.astimezone(zone).replace(tzinfo=None) == value
    except (OverflowError, ValueError) as exc:
        raise Invalid(
            f"{field}: that time is out of range.", code="time_out_of_range", field=field
        ) from exc
    if not exists:
        raise Invalid(
            f"{field}: {value:%Y-%m-%d %H:%M} does not exist in {zone.key} (clocks change then).",
            code="nonexistent_local_time",
            field=field,
        )
    return instant


def _vocabulary_rows(items: Iterable[InterestIn]) -> list[Interest]:
    seen_terms: dict[str, str] = {}
    rows: list[Interest] = []
    for position, item in enumerate(items):
        key = slugify(item.key or item.label_en)
        if not key:
            raise Invalid(
                f"interests[{position}]: give a label made of letters or digits.",
                code="invalid_interest_label",
                field=f"interests[{position}].label_en",
            )
        if any(row.key == key for row in rows):
            raise Invalid(
                f"interests[{position}]: the key '{key}' is used twice.",
                code="duplicate_interest",
                field=f"interests[{position}]",
            )
        aliases = list(dict.fromkeys(a.strip() for a in item.aliases if a.strip()))
        for term in (item.label_en, item.label_es, *aliases):
            normalized = normalize_term(term)
            owner = seen_terms.setdefault(normalized, key)
            if owner != key:
                raise Invalid(
                    f"interests[{position}]: '{term}' already names the interest '{owner}'.",
                    code="duplicate_interest",
                    field=f"interests[{position}]",
                )
        rows.append(
            Interest(key=key, label_en=item.label_en, label_es=item.label_es, aliases=aliases)
        )
    return rows


async def _replace_sessions(
    session: AsyncSession, event: Event, items: list[SessionIn], zone: ZoneInfo
) -> None:
    existing = {
        s.id: s
        for s in await session.scalars(
            select(EventSession).where(EventSession.event_id == event.id)
        )
    }
    kept: set[int] = set()
    for position, item in enumerate(items):
        starts_at = _aware(item.starts_at, zone, f"sessions[{position}].starts_at")
        ends_at = _aware(item.ends_at, zone, f"sessions[{position}].ends_at")
        if ends_at <= starts_at:
            raise Invalid(
                f"sessions[{position}].ends_at: a session must end after it starts.",
                code="invalid_session_times",
                field=f"sessions[{position}].ends_at",
            )
        row = existing.get(item.id) if item.id is not None else None
        if item.id is not None and row is None:
            raise Invalid(
                f"sessions[{position}].id: session {item.id} is not part of this event.",
                code="unknown_session",
                field=f"sessions[{position}].id",
            )
        if row is None:
            row = EventSession(event_id=event.id)
            session.add(row)
        else:
            kept.add(row.id)
        row.title, row.room, row.starts_at, row.ends_at = item.title, item.room, starts_at, ends_at
        row.restricted = item.restricted
    stale = [existing[key] for key in sorted(set(existing) - kept)]
    await refuse_dropping_attended(session, stale)
    for row in stale:
        await session.delete(row)


async def _replace_interests(session: AsyncSession, event: Event, items: list[InterestIn]) -> None:
    rows = _vocabulary_rows(items)
    await session.execute(delete(Interest).where(Interest.event_id == event.id))
    for row in rows:
        row.event_id = event.id
        session.add(row)


async def create_event(session: AsyncSession, account: Account, data: EventCreate) -> EventOut:
    """Create an event; its creator becomes its organizer."""
    if not account.can_create_events:
        raise NotFound("Creating events is not enabled for this account.", code="not_allowed")
    zone = _check_timezone(data.timezone)
    _check_dates(data.starts_on, data.ends_on)
    if await session.scalar(select(Event.id).where(Event.slug == data.slug)) is not None:
        raise Conflict(
            f"slug: '{data.slug}' is taken; choose another short name.",
            code="slug_taken",
            field="slug",
        )
    event = Event(
        slug=data.slug,
        name=data.name,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        timezone=data.timezone,
        languages=list(dict.fromkeys(data.languages)),
        created_by=account.id,
    )
    session.add(event)
    await session.flush()
    session.add(EventRole(event_id=event.id, account_id=account.id, role="organizer"))
    await _replace_sessions(session, event, data.sessions, zone)
    await _replace_interests(session, event, data.interests)
    await session.flush()
    return await describe_event(session, event, ["organizer"])


async def update_event(
    session: AsyncSession, event: Event, roles: list[str], data: EventUpdate
) -> EventOut:
    """Apply a partial edit; lists given replace the stored ones."""
    for name in ("name", "starts_on", "ends_on", "timezone"):
        value = getattr(data, name)
        if value is not UNSET:
            setattr(event, name, value)
    if not isinstance(data.languages, UnsetType):
        event.languages = list(dict.fromkeys(data.languages))
    zone = _check_timezone(event.timezone)
    _check_dates(event.starts_on, event.ends_on)
    if not isinstance(data.sessions, UnsetType):
        await _replace_sessions(session, event, data.sessions, zone)
    if not isinstance(data.interests, UnsetType):
        await _replace_interests(session, event, data.interests)
    await session.flush()
    return await describe_event(session, event, roles)


async def describe_event(session: AsyncSession, event: Event, roles: list[str]) -> EventOut:
    sessions = await session.scalars(
        select(EventSession)
        .where(EventSession.event_id == event.id)
        .order_by(EventSession.starts_at, EventSession.id)
    )
    interests = await session.scalars(
        select(Interest).where(Interest.event_id == event.id).order_by(Interest.label_en)
    )
    count = await session.scalar(
        select(func.count()).select_from(Attendee).where(Attendee.event_id == event.id)
    )
    return EventOut(
        slug=event.slug,
        name=event.name,
        starts_on=event.starts_on,
        ends_on=event.ends_on,
        timezone=event.timezone,
        languages=event.languages,
        roles=roles,
        sessions=[
            SessionOut(
                id=s.id,
                title=s.title,
                room=s.room,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                restricted=s.restricted,
            )
            for s in sessions
        ],
        interests=[
            InterestOut(key=i.key, label_en=i.label_en, label_es=i.label_es, aliases=i.aliases)
            for i in interests
        ],
        attendee_count=count or 0,
    )
