"""Reading follow-ups: one attendee's list (with starters) and a whole event's (for digests).

Both build each person's entry the same way (`_entry`): the other's shared card, my note and
tags, where I stand as of `today` (a day in the event's time zone, passed in by the caller),
the reminders, and the drafted thank-you. The draft is made from the card, so it can only use
what the other person shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.attendees.card import CARD_COLUMNS, CardOut, card_of
from api.followups.drafts import Recipient, Writer, thank_you
from api.followups.operations import followup_state
from api.followups.reminders import PersonState
from api.followups.schemas import DraftOut, EventBrief, FollowupListOut, FollowupOut
from api.models import Account, Attendee, Connection, Event, Followup
from api.starters.engine import sessions_in_common, starters_for
from api.starters.schemas import StarterOut
from api.starters.service import describe, event_index, person_from, visits

OtherAccount = aliased(Account)
# One row per connection: mine, where I stand with it, and the other person's card columns
# with their language (their own, else their account's).
ENTRY_COLUMNS = (
    Connection.id.label("connection_id"),
    Connection.owner_id,
    Connection.note,
    Connection.tags,
    Connection.first_met_at,
    Connection.last_met_at,
    Connection.scan_count,
    Followup.done_at,
    Followup.snoozed_until,
    Followup.reminders_off.label("person_reminders_off"),
    Followup.reminder_dates,
    *CARD_COLUMNS,
    Attendee.language.label("other_language"),
    OtherAccount.language.label("other_account_language"),
)


def _entries() -> Select[Any]:
    return (
        select(*ENTRY_COLUMNS)
        .join(Attendee, Attendee.id == Connection.other_id)
        .outerjoin(Followup, Followup.connection_id == Connection.id)
        .outerjoin(OtherAccount, OtherAccount.email == Attendee.email)
        .where(Connection.removed_at.is_(None))
    )


@dataclass(frozen=True, slots=True)
class Viewer:
    """The attendee whose list it is: the draft's writer."""

    id: int
    writer: Writer
    reminders_off: bool


def viewer_of(attendee: Attendee, account_language: str | None) -> Viewer:
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


def _entry(
    row: Any,
    viewer: Viewer,
    event: Event,
    today: date,
    mutual: bool,
    card: CardOut,
    recipient: Recipient,
    starter: StarterOut | None = None,
) -> FollowupOut:
    state = PersonState(
        row.done_at, row.snoozed_until, bool(row.person_reminders_off), row.reminder_dates or {}
    )
    where = followup_state(today, state, event.ends_on, event.timezone, viewer.reminders_off)
    draft = thank_you(row.note, viewer.writer, recipient, event.name)
    return FollowupOut(
        connection=row.connection_id,
        attendee=row.id,
        card=card,
        note=row.note,
        tags=row.tags,
        first_met_at=row.first_met_at,
        last_met_at=row.last_met_at,
        scan_count=row.scan_count,
        mutual=mutual,
        starter=starter,
        status=where.status,
        done_at=where.done_at,
        snoozed_until=where.snoozed_until,
        reminders_off=where.reminders_off,
        reminders=where.reminders,
        draft=DraftOut(draft.language, draft.subject, draft.body, draft.to),
    )


def _language(row: Any) -> str:
    return str(row.other_language or row.other_account_language or "")


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
            _entries()
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
    language = viewer.writer.language or account.language
    starters = await _first_starters(db, event, me, rows, language) if with_starters else {}
    followups = []
    for row in rows:
        card = card_of(row)
        recipient = recipient_of(card, _language(row))
        mutual = row.id in with_me
        starter = starters.get(row.id)
        followups.append(_entry(row, viewer, event, today, mutual, card, recipient, starter))
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
    attendees with their accounts' languages, then every connection of the event."""
    people = await session.execute(
        select(Attendee, Account.language)
        .outerjoin(Account, Account.email == Attendee.email)
        .where(Attendee.event_id == event.id)
    )
    viewers = {me.id: viewer_of(me, language) for me, language in people}
    rows = list(
        await session.execute(
            _entries()
            .where(Connection.event_id == event.id)
            .order_by(Connection.last_met_at.desc(), Connection.id.desc())
        )
    )
    pairs = {(row.owner_id, row.id) for row in rows}
    # A card and its reader's view are the same in every list that person appears in.
    cards: dict[int, tuple[CardOut, Recipient]] = {}
    found: dict[int, list[FollowupOut]] = {}
    for row in rows:
        shown = cards.get(row.id)
        if shown is None:
            card = card_of(row)
            shown = cards[row.id] = (card, recipient_of(card, _language(row)))
        viewer = viewers[row.owner_id]
        mutual = (row.id, row.owner_id) in pairs
        entry = _entry(row, viewer, event, today, mutual, *shown)
        found.setdefault(row.owner_id, []).append(entry)
    return found
