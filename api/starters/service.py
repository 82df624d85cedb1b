"""Starters from the database: the event's index (cached per process) and people from attendees."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from api.attendees.card import CardOut
from api.checkin.attendance import counts
from api.models import Attendee, Checkin, Event, EventSession, Interest
from api.starters.engine import (
    EventIndex,
    Person,
    Starter,
    Visit,
    VocabularyTerm,
    sessions_in_common,
    starters_for,
)
from api.starters.phrases import PHRASES
from api.starters.schemas import (
    ReaderOut,
    ReasonOut,
    StarterKitOut,
    StarterOut,
    TermOut,
)

_INDEXES: OrderedDict[tuple[int, int, str, str], EventIndex] = OrderedDict()
_KEEP = 16
# How long an index is used without asking the database whether the attendees changed: a scan
# must not pay for that check (a scan of the attendees table) every time.
RECHECK_SECONDS = 10.0
# A reader's own poster check-in feeds starters only when it arrived this soon after it was made.
LIVE_WITHIN = timedelta(minutes=30)
_CHECKED: dict[tuple[int, str], tuple[float, EventIndex]] = {}


def person_from(attendee: Attendee) -> Person:
    """What the engine may use of an attendee: their fields, and which of them they share."""
    return Person(
        id=attendee.id,
        name=attendee.name,
        organization=attendee.organization,
        role=attendee.role,
        interests=tuple(attendee.interests),
        looking_for=tuple(attendee.looking_for),
        can_help_with=tuple(attendee.can_help_with),
        shared=frozenset(attendee.shared_fields),
    )


def _fingerprint(event_id: int, row: Any, event_updated: object) -> tuple[int, int, str, str]:
    count, changed = row
    return (event_id, int(count), str(changed), str(event_updated))


def _changes(event_id: int) -> Select[int, datetime]:
    return select(func.count(), func.max(Attendee.updated_at)).where(Attendee.event_id == event_id)


def _cached(key: tuple[int, int, str, str]) -> EventIndex | None:
    index = _INDEXES.get(key)
    if index is not None:
        _INDEXES.move_to_end(key)
    return index


def _remember(key: tuple[int, int, str, str], index: EventIndex) -> EventIndex:
    _INDEXES[key] = index
    while len(_INDEXES) > _KEEP:
        _INDEXES.popitem(last=False)
    return index


def _build(terms: Iterable[Interest], interests: Iterable[Sequence[str]]) -> EventIndex:
    index = EventIndex(
        VocabularyTerm(row.key, row.label_en, row.label_es, tuple(row.aliases)) for row in terms
    )
    for held in interests:
        index.count(Person(id=0, name="", interests=tuple(held)))
    return index


def _vocabulary(event_id: int) -> Select[Interest]:
    # In a stable order: the first of two terms with the same spelling keeps it.
    return select(Interest).where(Interest.event_id == event_id).order_by(Interest.id)


def _held(event_id: int) -> Select[list[str], list[str]]:
    return select(Attendee.interests, Attendee.shared_fields).where(Attendee.event_id == event_id)


def _shared_interests(rows: Iterable[Any]) -> Iterator[Sequence[str]]:
    """The interests of people who share them: the frequencies count no one else (the phone's
    starter kit carries them to every attendee; see StarterKitOut)."""
    for held, shared in rows:
        if "interests" in shared:
            yield held


def _recent(event: tuple[int, str]) -> EventIndex | None:
    checked = _CHECKED.get(event)
    if checked is not None and time.monotonic() - checked[0] < RECHECK_SECONDS:
        return checked[1]
    return None


def _checked(event: tuple[int, str], index: EventIndex) -> EventIndex:
    if len(_CHECKED) > 4 * _KEEP:
        _CHECKED.clear()
    _CHECKED[event] = (time.monotonic(), index)
    return index


async def event_index(session: AsyncSession, event: Event) -> EventIndex:
    """The event's vocabulary and interest frequencies, rebuilt only when attendees change."""
    # An event is known by its id and last edit (ids repeat after a database is emptied).
    version = (event.id, str(event.updated_at))
    recent = _recent(version)
    if recent is not None:
        return recent
    key = _fingerprint(
        event.id, (await session.execute(_changes(event.id))).one(), event.updated_at
    )
    index = _cached(key)
    if index is None:
        terms = await session.scalars(_vocabulary(event.id))
        rows = await session.execute(_held(event.id))
        index = _remember(key, _build(list(terms), _shared_interests(rows)))
    return _checked(version, index)


def event_index_sync(db: Session, event_id: int) -> EventIndex:
    """`event_index` for code that runs on a synchronous session (the sync writer thread)."""
    updated = db.scalar(select(Event.updated_at).where(Event.id == event_id))
    version = (event_id, str(updated))
    recent = _recent(version)
    if recent is not None:
        return recent
    key = _fingerprint(event_id, db.execute(_changes(event_id)).one(), updated)
    index = _cached(key)
    if index is None:
        terms = db.scalars(_vocabulary(event_id))
        rows = db.execute(_held(event_id))
        index = _remember(key, _build(list(terms), _shared_interests(rows)))
    return _checked(version, index)


def describe(starters: list[Starter]) -> list[StarterOut]:
    return [
        StarterOut(text=s.text, reason=ReasonOut(kind=s.reason.kind, terms=list(s.reason.terms)))
        for s in starters
    ]


async def visits(
    session: AsyncSession, attendee_ids: Sequence[int], live_only: int | None = None
) -> dict[int, list[Visit]]:
    """The sessions each of these attendees was checked in to (counted attendance only).

    For `live_only` (the reader of a card), a check-in an attendee made themselves by a poster
    counts only when it reached the server soon after it was made: a phone can date its own
    check-in, and an old date must not let anyone claim a past session, then learn from a
    starter who else was there.
    """
    rows = await session.execute(
        select(
            Checkin.attendee_id,
            EventSession.id,
            EventSession.title,
            EventSession.starts_at,
            EventSession.ends_at,
            Checkin.method,
            Checkin.at,
            Checkin.recorded_at,
        )
        .join(EventSession, EventSession.id == Checkin.session_id)
        # By attendee only (an attendee belongs to one event): a condition on the event let
        # SQLite walk the event's whole (event_id, at) index instead, 20 ms a scan at 50,000
        # check-ins instead of about 1.
        .where(Checkin.attendee_id.in_(attendee_ids), counts())
    )
    found: dict[int, dict[int, Visit]] = {attendee_id: {} for attendee_id in attendee_ids}
    for attendee_id, session_id, title, starts_at, ends_at, method, at, recorded in rows:
        assert attendee_id is not None  # counts() leaves out attempts with no attendee
        if attendee_id == live_only and method == "poster" and recorded - at > LIVE_WITHIN:
            continue
        found[attendee_id][session_id] = Visit(session_id, title, starts_at, ends_at)
    return {attendee_id: list(seen.values()) for attendee_id, seen in found.items()}


async def starters_between(
    session: AsyncSession, event: Event, reader: Attendee, other: Attendee, language: str
) -> list[StarterOut]:
    """One to three starters for `reader` about `other`, in the reader's language."""
    index = await event_index(session, event)
    seen = await visits(session, [reader.id, other.id], live_only=reader.id)
    # Both people get only the sessions they have in common (see `sessions_in_common`).
    common = sessions_in_common(seen[reader.id], seen[other.id])
    me = replace(person_from(reader), sessions=common)
    them = replace(person_from(other), sessions=common)
    return describe(starters_for(me, them, index, language))


async def card_in_language(
    session: AsyncSession, event: Event, card: CardOut, language: str
) -> CardOut:
    """`card` with its interests, needs and offers in the reader's language where the event's
    vocabulary names them (what the person typed stays as typed otherwise)."""
    index = await event_index(session, event)
    lists = {
        field: index.shown(terms, language)
        for field in ("interests", "looking_for", "can_help_with")
        if (terms := getattr(card, field)) is not None
    }
    return msgspec.structs.replace(card, **lists)


async def starter_kit(session: AsyncSession, event: Event, me: Attendee) -> StarterKitOut:
    """What the phone needs to compute starters offline (see StarterKitOut)."""
    index = await event_index(session, event)
    people, holders = index.frequencies()
    vocabulary = [
        TermOut(key=t.key, label_en=t.label_en, label_es=t.label_es, aliases=list(t.aliases))
        for t in index.vocabulary()
    ]
    reader = ReaderOut(
        id=me.id,
        interests=list(me.interests),
        looking_for=list(me.looking_for),
        can_help_with=list(me.can_help_with),
    )
    return StarterKitOut(
        people=people, holders=holders, vocabulary=vocabulary, phrases=PHRASES, me=reader
    )


def encoded_kit(kit: StarterKitOut) -> tuple[bytes, str]:
    """The kit as JSON and its ETag (a digest of it): an unchanged kit is a 304."""
    body = msgspec.json.encode(kit)
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'
