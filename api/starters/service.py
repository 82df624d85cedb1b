"""Starters from the database: the event's index (cached per process) and people from attendees."""

from __future__ import annotations

from collections import OrderedDict

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Attendee, Event, Interest
from api.starters.engine import EventIndex, Person, Starter, VocabularyTerm, starters_for
from api.starters.schemas import ReasonOut, StarterOut

_INDEXES: OrderedDict[tuple[int, int, str, str], EventIndex] = OrderedDict()
_KEEP = 16


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


async def event_index(session: AsyncSession, event: Event) -> EventIndex:
    """The event's vocabulary and interest frequencies, rebuilt only when attendees change."""
    count, changed = (
        await session.execute(
            select(func.count(), func.max(Attendee.updated_at)).where(Attendee.event_id == event.id)
        )
    ).one()
    key = (event.id, int(count), str(changed), str(event.updated_at))
    index = _INDEXES.get(key)
    if index is not None:
        _INDEXES.move_to_end(key)
        return index
    terms = [
        VocabularyTerm(row.key, row.label_en, row.label_es, tuple(row.aliases))
        for row in await session.scalars(select(Interest).where(Interest.event_id == event.id))
    ]
    index = EventIndex(terms)
    for (interests,) in await session.execute(
        select(Attendee.interests).where(Attendee.event_id == event.id)
    ):
        index.count(Person(id=0, name="", interests=tuple(interests)))
    _INDEXES[key] = index
    while len(_INDEXES) > _KEEP:
        _INDEXES.popitem(last=False)
    return index


def describe(starters: list[Starter]) -> list[StarterOut]:
    return [
        StarterOut(text=s.text, reason=ReasonOut(kind=s.reason.kind, terms=list(s.reason.terms)))
        for s in starters
    ]


async def starters_between(
    session: AsyncSession, event: Event, reader: Attendee, other: Attendee, language: str
) -> list[StarterOut]:
    """One to three starters for `reader` about `other`, in the reader's language."""
    index = await event_index(session, event)
    return describe(starters_for(person_from(reader), person_from(other), index, language))
