"""Queueing follow-up digests, their schedule, and what the organizer sees of the sending.

Each attendee's digest is keyed `digest:EVENT:ATTENDEE` in the mail queue, so queueing twice
(a second "send now", the scheduler and an organizer at once) never sends anyone a second copy.
The organizer's answers carry counts, addresses and the mail server's replies, never a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.service import issue_signin_links
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
from api.mail import enqueue, mail_counts
from api.mail.queue import mail_failures
from api.models import Account, Attendee, Connection, Event, MailMessage
from api.settings import Settings

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


async def queue_digests(
    session: AsyncSession, settings: Settings, event: Event, now: datetime
) -> DigestQueued:
    """Queue the digest of every attendee who should get one and has none queued yet."""
    plan = await plan_digests(session, event, now)
    brief = digest_event(event)
    signin_links = await issue_signin_links(
        session,
        settings,
        [(recipient.account.id, followups_path(event)) for recipient in plan.recipients],
        valid_for=SIGNIN_VALID_FOR,
        now=now,
    )
    queued = 0
    for recipient, signin_link in zip(plan.recipients, signin_links, strict=True):
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
        added = await enqueue(
            session,
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
        if added:
            queued += 1
        else:  # queued meanwhile by another worker or organizer: theirs stands
            plan.already_queued += 1
    return DigestQueued(
        queued=queued,
        already_queued=plan.already_queued,
        opted_out=plan.opted_out,
        without_connections=plan.without_connections,
    )


async def send_digests_now(
    session: AsyncSession, settings: Settings, event: Event, now: datetime
) -> DigestQueued:
    """The organizer's "send now": queue every missing digest and mark the event queued."""
    await session.execute(
        update(Event)
        .where(Event.id == event.id, Event.digest_queued_at.is_(None))
        .values(digest_queued_at=now)
    )
    return await queue_digests(session, settings, event, now)


async def queue_due_digests(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """The runner's "digests" job: queue the digests of events whose time has come."""
    due = list(
        await session.scalars(
            select(Event.id).where(Event.digest_at <= now, Event.digest_queued_at.is_(None))
        )
    )
    total = 0
    for event_id in due:
        # A conditional update claims the event: of two workers waking at once, one queues it.
        claimed = await session.execute(
            update(Event)
            .where(Event.id == event_id, Event.digest_queued_at.is_(None))
            .values(digest_queued_at=now)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            continue
        event = await session.get(Event, event_id)
        if event is not None:
            total += (await queue_digests(session, settings, event, now)).queued
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


async def digest_status(session: AsyncSession, event: Event) -> DigestStatus:
    """The schedule, how many would get the digest now, and the report."""
    suggested = default_digest_time(event.ends_on, event.timezone)
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
