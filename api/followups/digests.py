"""Queueing follow-up digests, their schedule, and what the organizer sees of the sending.

Each attendee's digest is keyed `digest:EVENT:ATTENDEE` in the mail queue, so queueing twice
(a second "send now", the scheduler and an organizer at once) never sends anyone a second copy.
The organizer's answers carry counts, addresses and the mail server's replies, never a note.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.service import make_signin_links, store_signin_links
from api.db import snapshot, transaction
from api.errors import Invalid
from api.followups.digest import (
    DigestDraft,
    DigestEvent,
    DigestLinks,
    DigestPerson,
    RenderedDigest,
    default_digest_time,
    render_digest,
    sample_digest,
)
from api.followups.digest_schemas import (
    DigestFailure,
    DigestPreview,
    DigestQueued,
    DigestReport,
    DigestStatus,
)
from api.followups.reminders import local_day
from api.followups.service import followup_list, followups_for_event
from api.followups.unsubscribe import unsubscribe_headers, unsubscribe_page_url
from api.i18n import pick_language
from api.mail import Outgoing, enqueue_many, mail_counts
from api.mail.queue import mail_failures
from api.models import Account, Attendee, Connection, Event, MailMessage
from api.settings import Settings

log = logging.getLogger("enlace.digests")

DIGEST_KIND = "digest"
# A digest is often read days after it arrives: its sign-in link works once, for a week.
SIGNIN_VALID_FOR = timedelta(days=7)


def digest_key(event_id: int, attendee_id: int) -> str:
    return f"digest:{event_id}:{attendee_id}"


def followups_path(event: Event) -> str:
    return f"/events/{event.slug}/followups"


def digest_event(event: Event) -> DigestEvent:
    return DigestEvent(event.name, event.slug, event.starts_on, event.ends_on, event.timezone)


def digest_people(followups: Sequence[Any]) -> list[DigestPerson]:
    """The digest's view of one attendee's follow-up list (newest met first, as given)."""
    return [
        DigestPerson(
            name=item.card.name,
            organization=item.card.organization,
            last_met_at=item.last_met_at,
            scan_count=item.scan_count,
            note=item.note,
            tags=tuple(item.tags),
            due=tuple(reminder.kind for reminder in item.reminders if reminder.due_now),
            status=item.status,
            draft=DigestDraft(item.draft.subject, item.draft.body, item.draft.to),
        )
        for item in followups
    ]


def recipient_language(attendee: Attendee, account: Account) -> str:
    return pick_language(attendee.language or account.language)


@dataclass(frozen=True, slots=True)
class Recipient:
    attendee: Attendee
    account: Account
    followups: list[Any]


@dataclass(slots=True)
class DigestPlan:
    """Who gets the digest now and who does not, and why."""

    recipients: list[Recipient]
    already_queued: int = 0
    opted_out: int = 0
    without_connections: int = 0


async def plan_digests(session: AsyncSession, event: Event, now: datetime) -> DigestPlan:
    """Attendees with an account, not opted out, with at least one connection, not yet queued."""
    people = (
        await session.execute(
            select(Attendee, Account)
            .join(Account, Account.email == Attendee.email)
            .where(Attendee.event_id == event.id)
            .order_by(Attendee.id)
        )
    ).all()
    queued = set(
        await session.scalars(
            select(MailMessage.key).where(
                MailMessage.event_id == event.id, MailMessage.kind == DIGEST_KIND
            )
        )
    )
    lists = await followups_for_event(session, event, local_day(now, event.timezone))
    plan = DigestPlan(recipients=[])
    for attendee, account in people:
        followups = lists.get(attendee.id) or []
        if not followups:
            plan.without_connections += 1
        elif account.digest_opt_out_at is not None:
            plan.opted_out += 1
        elif digest_key(event.id, attendee.id) in queued:
            plan.already_queued += 1
        else:
            plan.recipients.append(Recipient(attendee, account, list(followups)))
    return plan


# Attendees per write transaction when queueing a whole event: each chunk's transaction holds
# SQLite's one write lock for a few tens of milliseconds (inserts only; the mail is built before
# it), so scans and check-ins go on between chunks.
CHUNK_SIZE = 300


def build_digests(
    settings: Settings, event: Event, recipients: Sequence[Recipient], now: datetime
) -> tuple[list[dict[str, Any]], list[Outgoing]]:
    """The sign-in links' rows and the messages of `recipients`' digests, in their order; no
    database: called outside any transaction."""
    brief = digest_event(event)
    tokens, signin_links = make_signin_links(
        settings,
        [(recipient.account.id, followups_path(event)) for recipient in recipients],
        valid_for=SIGNIN_VALID_FOR,
        now=now,
    )
    messages = []
    for recipient, signin_link in zip(recipients, signin_links, strict=True):
        attendee, account = recipient.attendee, recipient.account
        links = DigestLinks(
            followups=signin_link,
            unsubscribe=unsubscribe_page_url(settings, account.id),
        )
        rendered = render_digest(
            attendee.name,
            brief,
            digest_people(recipient.followups),
            recipient_language(attendee, account),
            links,
        )
        messages.append(
            Outgoing(
                key=digest_key(event.id, attendee.id),
                kind=DIGEST_KIND,
                to=account.email,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                headers=unsubscribe_headers(settings, account.id),
                event_id=event.id,
                account_id=account.id,
            )
        )
    return tokens, messages


async def store_digests(
    session: AsyncSession, tokens: list[dict[str, Any]], messages: list[Outgoing], now: datetime
) -> int:
    """Queue built digests whose key is not queued yet, with their sign-in links; answers how
    many were new. A digest queued meanwhile (another worker, an organizer) stands, and the
    link made for the copy that is dropped is not stored."""
    keys = [message.key for message in messages]
    taken = set(await session.scalars(select(MailMessage.key).where(MailMessage.key.in_(keys))))
    fresh = [i for i, message in enumerate(messages) if message.key not in taken]
    await store_signin_links(session, [tokens[i] for i in fresh])
    return await enqueue_many(session, [messages[i] for i in fresh], now)


def _result(plan: DigestPlan, queued: int) -> DigestQueued:
    return DigestQueued(
        queued=queued,
        already_queued=plan.already_queued,
        opted_out=plan.opted_out,
        without_connections=plan.without_connections,
    )


async def queue_digests(
    session: AsyncSession, settings: Settings, event: Event, now: datetime
) -> DigestQueued:
    """Queue the digest of every attendee who should get one and has none queued yet, in the
    caller's one transaction (small events, tests; `queue_digests_in_chunks` for the rest)."""
    plan = await plan_digests(session, event, now)
    tokens, messages = build_digests(settings, event, plan.recipients, now)
    queued = await store_digests(session, tokens, messages, now)
    plan.already_queued += len(messages) - queued  # queued meanwhile: theirs stands
    return _result(plan, queued)


async def queue_digests_in_chunks(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    event_id: int,
    now: datetime,
    chunk_size: int = CHUNK_SIZE,
) -> DigestQueued | None:
    """Queue an event's missing digests, `chunk_size` attendees per short write transaction.

    Planned from one snapshot that takes no write lock; each chunk is built outside any
    transaction, then stored in its own. Stopped midway (a crash, a deploy), what is queued
    stays queued and the next run plans only the rest: keys keep everyone to one copy. The
    organizer's report counts the queue, so it rises chunk by chunk. None: no such event.
    """
    async with snapshot(sessionmaker) as session:
        event = await session.get(Event, event_id)
        if event is None:
            return None
        plan = await plan_digests(session, event, now)
    queued = 0
    for start in range(0, len(plan.recipients), chunk_size):
        # Built in a thread: a chunk is a few hundred milliseconds of CPU, which on the event
        # loop would stall every request (scans) meanwhile; in a thread they take turns.
        tokens, messages = await asyncio.to_thread(
            build_digests, settings, event, plan.recipients[start : start + chunk_size], now
        )
        async with transaction(sessionmaker) as session:
            added = await store_digests(session, tokens, messages, now)
        queued += added
        plan.already_queued += len(messages) - added
    return _result(plan, queued)


async def digest_counts(session: AsyncSession, event: Event) -> DigestQueued:
    """What "send now" is about to do, as `plan_digests` decides, in one query (the HTTP
    answer; the queueing itself goes on after it): `queued` counts who will get it now."""
    connected = (
        select(Connection.id)
        .where(
            Connection.event_id == event.id,
            Connection.owner_id == Attendee.id,
            Connection.removed_at.is_(None),
        )
        .exists()
    )
    queued = (
        select(MailMessage.id)
        .where(
            MailMessage.event_id == event.id,
            MailMessage.kind == DIGEST_KIND,
            MailMessage.account_id == Account.id,
        )
        .exists()
    )
    rows = await session.execute(
        select(connected, Account.digest_opt_out_at.is_not(None), queued)
        .select_from(Attendee)
        .join(Account, Account.email == Attendee.email)
        .where(Attendee.event_id == event.id)
    )
    found = DigestQueued(queued=0, already_queued=0, opted_out=0, without_connections=0)
    for has_connections, opted_out, has_digest in rows.all():
        if not has_connections:
            found.without_connections += 1
        elif opted_out:
            found.opted_out += 1
        elif has_digest:
            found.already_queued += 1
        else:
            found.queued += 1
    return found


async def mark_queued(
    session: AsyncSession, event_id: int, now: datetime, *, due_only: bool = False
) -> bool:
    """Record that the event's digests are all queued (the schedule then runs no more);
    `due_only`: unless the organizer moved the schedule to a later time meanwhile."""
    conditions = [Event.id == event_id, Event.digest_queued_at.is_(None)]
    if due_only:
        conditions.append(Event.digest_at <= now)
    result = await session.execute(update(Event).where(*conditions).values(digest_queued_at=now))
    return bool(getattr(result, "rowcount", 0))


async def send_digests_now(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    event_id: int,
    now: datetime,
) -> DigestQueued | None:
    """The organizer's "send now": queue every missing digest in chunks, then mark the event
    queued. Run after the HTTP answer (see digest_routes); pressed again, or the schedule
    coming due meanwhile, queues only who is still missing."""
    found = await queue_digests_in_chunks(sessionmaker, settings, event_id, now)
    async with transaction(sessionmaker) as session:
        await mark_queued(session, event_id, now)
    return found


async def send_digests_in_background(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    event_id: int,
    now: datetime,
) -> None:
    try:
        await send_digests_now(sessionmaker, settings, event_id, now)
    except Exception:  # after the answer: nobody to tell but the log; pressing again resumes
        log.exception("queueing the digests of event %s failed", event_id)


async def queue_due_digests(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> int:
    """The runner's "digests" job: queue the digests of events whose time has come.

    An event is marked queued only once every chunk is in: a run stopped midway leaves it due,
    and the next run (this worker's or another's, once the job's lease lapses) queues the
    rest. The job's lease keeps two workers from queueing at once.
    """
    async with snapshot(sessionmaker) as session:
        due = list(
            await session.scalars(
                select(Event.id).where(Event.digest_at <= now, Event.digest_queued_at.is_(None))
            )
        )
    total = 0
    for event_id in due:
        found = await queue_digests_in_chunks(sessionmaker, settings, event_id, now)
        async with transaction(sessionmaker) as session:
            await mark_queued(session, event_id, now, due_only=True)
        total += found.queued if found else 0
    return total


def local_time_text(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


def parse_local_time(value: str, timezone: str) -> datetime:
    """A local date-time typed in the event's zone, as UTC; Invalid names the field."""
    try:
        local = datetime.fromisoformat(value)
        # The calendar's very edges (year 1, year 9999) overflow once moved to UTC.
        return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise Invalid(
            "local_time: write a date and time as YYYY-MM-DDTHH:MM.",
            code="invalid_digest_time",
            field="local_time",
        ) from exc


async def set_digest_time(
    session: AsyncSession, event: Event, local_time: str | None, now: datetime
) -> None:
    """Schedule the digest at a local time in the event's zone, or (None) cancel the schedule.

    A new time lets the digest go out again then, to whoever has none queued yet (people who
    connected since a "send now"); nobody gets a second copy.
    """
    if local_time is None:
        event.digest_at = None
        return
    at = parse_local_time(local_time, event.timezone)
    if at <= now:
        raise Invalid(
            "local_time: that time has passed; pick a later one, or send the digest now.",
            code="digest_time_passed",
            field="local_time",
        )
    event.digest_at = at
    event.digest_queued_at = None


async def digest_report(session: AsyncSession, event: Event) -> DigestReport:
    """Sent, failed, queued and opted out, with the failed addresses and the server's answers."""
    counts = await mail_counts(session, event.id, DIGEST_KIND)
    opted_out = await session.scalar(
        select(func.count())
        .select_from(Attendee)
        .join(Account, Account.email == Attendee.email)
        .where(Attendee.event_id == event.id, Account.digest_opt_out_at.is_not(None))
    )
    failures = await mail_failures(session, event.id, DIGEST_KIND)
    return DigestReport(
        sent=counts["sent"],
        failed=counts["failed"],
        queued=counts["queued"],
        opted_out=opted_out or 0,
        failures=[DigestFailure(to=to, error=error) for to, error in failures],
    )


async def count_recipients(session: AsyncSession, event: Event) -> int:
    """How many would get the digest now (as `plan_digests` decides), counted in one query:
    the organizer's screen asks every few seconds while mail goes out."""
    connected = (
        select(Connection.id)
        .where(
            Connection.event_id == event.id,
            Connection.owner_id == Attendee.id,
            Connection.removed_at.is_(None),
        )
        .exists()
    )
    queued = (
        select(MailMessage.id)
        .where(
            MailMessage.event_id == event.id,
            MailMessage.kind == DIGEST_KIND,
            # One account per attendee in an event (its e-mail is unique there).
            MailMessage.account_id == Account.id,
        )
        .exists()
    )
    found = await session.scalar(
        select(func.count())
        .select_from(Attendee)
        .join(Account, Account.email == Attendee.email)
        .where(
            Attendee.event_id == event.id,
            Account.digest_opt_out_at.is_(None),
            connected,
            ~queued,
        )
    )
    return found or 0


async def digest_status(session: AsyncSession, event: Event, now: datetime) -> DigestStatus:
    """The schedule, how many would get the digest now, and the report."""
    suggested = default_digest_time(event.ends_on, event.timezone, now)
    return DigestStatus(
        timezone=event.timezone,
        local_time=local_time_text(event.digest_at, event.timezone) if event.digest_at else None,
        at=event.digest_at,
        suggested_local_time=local_time_text(suggested, event.timezone),
        queued_at=event.digest_queued_at,
        recipients=await count_recipients(session, event),
        report=await digest_report(session, event),
    )


def preview(rendered: RenderedDigest, language: str) -> DigestPreview:
    return DigestPreview(
        language=language, subject=rendered.subject, text=rendered.text, html=rendered.html
    )


def sample_preview(settings: Settings, event: Event, language: str) -> DigestPreview:
    """The organizer's preview: the digest as attendees get it, with made-up people."""
    lang = pick_language(language)
    brief = digest_event(event)
    recipient, people = sample_digest(lang, brief)
    links = DigestLinks(
        followups=f"{settings.base_url}{followups_path(event)}",
        unsubscribe=f"{settings.base_url}/unsubscribe/sample",
    )
    return preview(render_digest(recipient, brief, people, lang, links), lang)


async def my_preview(
    session: AsyncSession,
    settings: Settings,
    event: Event,
    attendee: Attendee,
    account: Account,
    language: str | None,
    now: datetime,
) -> DigestPreview:
    """An attendee's own digest as it would go out now (shown only to them), without issuing
    a sign-in link: the preview's button opens the list they already have open."""
    today = local_day(now, event.timezone)
    mine = await followup_list(session, event, attendee, account, today, with_starters=False)
    lang = pick_language(language or recipient_language(attendee, account))
    links = DigestLinks(
        followups=f"{settings.base_url}{followups_path(event)}",
        unsubscribe=unsubscribe_page_url(settings, account.id),
    )
    people = digest_people(mine.followups)
    return preview(render_digest(attendee.name, digest_event(event), people, lang, links), lang)
