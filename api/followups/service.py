"""Reading follow-ups: one attendee's list (with starters) and a whole event's (for digests).

Both build each person's entry the same way (`_entry`): the other's shared card, my note and
tags, where I stand as of `today` (a day in the event's time zone, passed in by the caller),
the reminders, and the drafted thank-you. The draft is made from the card, so it can only use
what the other person shares.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

import msgspec
from sqlalchemy import Select, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.sqltypes import NullType

from api.attendees.card import CARD_COLUMNS, CardOut, card_of
from api.followups.drafts import Recipient, Writer, thank_you
from api.followups.operations import followup_state
from api.followups.reminders import PersonState
from api.followups.schemas import EventBrief, FollowupListOut, FollowupOut
from api.models import Account, Attendee, Connection, Event, Followup
from api.starters.engine import sessions_in_common, starters_for
from api.starters.schemas import StarterOut
from api.starters.service import describe, event_index, person_from, visits

OtherAccount = aliased(Account)


def _raw(column: Any, name: str) -> Any:
    # Read as the driver gives it and converted by `_link` (SQLAlchemy's SQLite date parsing, a
    # regular expression per value, tripled the cost of reading a whole event's connections).
    return type_coerce(column, NullType()).label(name)


# One row per connection: mine, and where I stand with it; `_link` reads it.
LINK_COLUMNS = (
    Connection.id.label("connection_id"),
    Connection.owner_id,
    Connection.other_id,
    Connection.note,
    _raw(Connection.tags, "tags"),
    _raw(Connection.first_met_at, "first_met_at"),
    _raw(Connection.last_met_at, "last_met_at"),
    Connection.scan_count,
    _raw(Followup.done_at, "done_at"),
    _raw(Followup.snoozed_until, "snoozed_until"),
    Followup.reminders_off.label("person_reminders_off"),
    _raw(Followup.reminder_dates, "reminder_dates"),
)


def _moment(value: Any) -> Any:
    """A UTC datetime from SQLite's text or PostgreSQL's timestamp (None stays None)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


# Positions in a row of LINK_COLUMNS, and its order in a list: last met, then id (SQLite's text
# and PostgreSQL's timestamps both sort as times).
OWNER, OTHER = 1, 2
NEWEST_FIRST = itemgetter(6, 0)


def _day(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _json(value: Any, empty: Any) -> Any:
    if value is None or value == "[]":
        return empty
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else value


# A person as a card shows them, with the language they read (their own, else their account's).
PERSON_COLUMNS = (
    *CARD_COLUMNS,
    Attendee.language,
    Attendee.reminders_off,
    OtherAccount.language.label("account_language"),
)


def _links() -> Select[Any]:
    return (
        select(*LINK_COLUMNS)
        .outerjoin(Followup, Followup.connection_id == Connection.id)
        .where(Connection.removed_at.is_(None))
    )


@dataclass(frozen=True, slots=True)
class Viewer:
    """The attendee whose list it is: the draft's writer."""

    id: int
    writer: Writer
    reminders_off: bool


def viewer_of(attendee: Any, account_language: str | None) -> Viewer:
    """The writer of drafts: an Attendee, or a row of PERSON_COLUMNS."""
    writer = Writer(
        name=attendee.name,
        language=attendee.language or account_language or "",
        interests=tuple(attendee.interests),
        looking_for=tuple(attendee.looking_for),
        can_help_with=tuple(attendee.can_help_with),
    )
    return Viewer(attendee.id, writer, attendee.reminders_off)


def recipient_of(card: CardOut, language: str) -> Recipient:
    """The other person as a draft may use them: their card, and the language they read."""
    return Recipient(
        name=card.name,
        language=language,
        email=card.email,
        interests=tuple(card.interests or ()),
        looking_for=tuple(card.looking_for or ()),
        can_help_with=tuple(card.can_help_with or ()),
    )


@lru_cache(maxsize=64)
def _untouched(today: date, ends_on: date, timezone: str, all_off: bool) -> Any:
    """Where I stand with someone I have changed nothing for: the same for all of them."""
    return followup_state(today, PersonState(), ends_on, timezone, all_off)


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What every entry reads of the event, read once (an ORM attribute costs ~3 µs a read)."""

    name: str
    ends_on: date
    timezone: str

    @classmethod
    def of(cls, event: Event) -> EventFacts:
        return cls(event.name, event.ends_on, event.timezone)


def _entry(
    row: Any,
    viewer: Viewer,
    event: EventFacts,
    today: date,
    mutual: bool,
    card: CardOut,
    recipient: Recipient,
    starter: StarterOut | None = None,
) -> FollowupOut:
    # By position (LINK_COLUMNS come first): a tuple unpacks faster than names are looked up,
    # and a struct is made faster from positions than from keywords (200,000 times a digest).
    link, _, other, note, tags, first, last, scans, done, snoozed, off, moved = row[:12]
    if done or snoozed or off or moved:
        state = PersonState(_moment(done), _day(snoozed), bool(off), _json(moved, {}))
        where = followup_state(today, state, event.ends_on, event.timezone, viewer.reminders_off)
    else:
        where = _untouched(today, event.ends_on, event.timezone, viewer.reminders_off)
    met = _moment(first)
    return FollowupOut(
        link,
        other,
        card,
        note,
        _json(tags, []),
        met,
        met if last == first else _moment(last),
        scans,
        mutual,
        starter,
        where.status,
        where.done_at,
        where.snoozed_until,
        where.reminders_off,
        where.reminders,
        thank_you(viewer.writer, recipient, event.name),
    )


def _language(person: Any) -> str:
    return str(person.language or person.account_language or "")


async def followup_list(
    db: AsyncSession,
    event: Event,
    me: Attendee,
    account: Account,
    today: date,
    with_starters: bool = True,
) -> FollowupListOut:
    """My follow-up list, newest met first, each with the first starter of the pair (unless
    not `with_starters`: the exports show none)."""
    rows = list(
        await db.execute(
            _links()
            .add_columns(*PERSON_COLUMNS)
            .join(Attendee, Attendee.id == Connection.other_id)
            .outerjoin(OtherAccount, OtherAccount.email == Attendee.email)
            .where(Connection.event_id == event.id, Connection.owner_id == me.id)
            .order_by(Connection.last_met_at.desc(), Connection.id.desc())
        )
    )
    with_me = set(
        await db.scalars(
            select(Connection.owner_id).where(
                Connection.event_id == event.id,
                Connection.other_id == me.id,
                Connection.removed_at.is_(None),
            )
        )
    )
    viewer = viewer_of(me, account.language)
    facts = EventFacts.of(event)
    language = viewer.writer.language or account.language
    starters = await _first_starters(db, event, me, rows, language) if with_starters else {}
    followups = []
    for row in rows:
        card = card_of(row)
        recipient = recipient_of(card, _language(row))
        mutual = row.id in with_me
        starter = starters.get(row.id)
        followups.append(_entry(row, viewer, facts, today, mutual, card, recipient, starter))
    return FollowupListOut(
        event=EventBrief(event.slug, event.name, event.ends_on, event.timezone),
        today=today,
        reminders_off=me.reminders_off,
        digest_opted_out=account.digest_opt_out_at is not None,
        followups=followups,
    )


async def _first_starters(
    db: AsyncSession, event: Event, me: Attendee, rows: Sequence[Any], language: str
) -> dict[int, StarterOut]:
    """The first starter for each person (what `starters_between` gives, for all at once:
    the sessions every one of them attended read in one query)."""
    if not rows:
        return {}
    index = await event_index(db, event)
    seen = await visits(db, [me.id, *(row.id for row in rows)], live_only=me.id)
    reader = person_from(me)
    found = {}
    for row in rows:
        common = sessions_in_common(seen[me.id], seen[row.id])
        them = replace(person_from(row), sessions=common)
        first = starters_for(replace(reader, sessions=common), them, index, language)[:1]
        if first:
            found[row.id] = describe(first)[0]
    return found


async def followups_for_event(
    session: AsyncSession, event: Event, today: date
) -> dict[int, list[FollowupOut]]:
    """Every attendee's follow-up list (no starters), newest met first, in two queries: the
    event's people with their languages, then every connection of the event."""
    # Each person's card, and how a draft sees them, made once: they appear in many lists.
    people = await session.execute(
        select(*PERSON_COLUMNS)
        .outerjoin(OtherAccount, OtherAccount.email == Attendee.email)
        .where(Attendee.event_id == event.id)
    )
    viewers: dict[int, Viewer] = {}
    shown: dict[int, tuple[CardOut, Recipient]] = {}
    for person in people:
        viewers[person.id] = viewer_of(person, person.account_language)
        card = card_of(person)
        shown[person.id] = (card, recipient_of(card, _language(person)))
    # On the connection, not the session: 200,000 rows through the ORM's result machinery cost
    # three times as much for the same tuples. Unordered, they come grouped by owner (the
    # event-owner index), and each list is sorted on its own: cheaper than sorting them all.
    connection = await session.connection()
    rows = (await connection.execute(_links().where(Connection.event_id == event.id))).all()
    pairs = {(row[OWNER], row[OTHER]) for row in rows}
    lists: dict[int, list[Any]] = {}
    for row in rows:
        lists.setdefault(row[OWNER], []).append(row)
    facts = EventFacts.of(event)
    found: dict[int, list[FollowupOut]] = {}
    # What is built here has no reference cycles: the cyclic collector's passes over a heap
    # growing by millions of objects only cost time (a third of it, measured).
    collecting = gc.isenabled()
    gc.disable()
    try:
        for owner, mine in lists.items():
            viewer = viewers[owner]
            mine.sort(key=NEWEST_FIRST, reverse=True)
            found[owner] = [
                _entry(row, viewer, facts, today, (row[OTHER], owner) in pairs, *shown[row[OTHER]])
                for row in mine
            ]
    finally:
        if collecting:
            gc.enable()
    return found
