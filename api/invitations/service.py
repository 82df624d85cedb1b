"""Inviting imported attendees by e-mail, and how far they got (invited, signed in, card set up).

An invitation is a queued message (kind `invitation`) with a week-long sign-in link that lands on
setting up the card, and the badge's code. Its queue key counts the attendee's invitations
(`invitation:EVENT:ATTENDEE:N`), so two presses of one button, or two organizers at once, queue one
message; and anyone invited in the last `RECENT` is left out of the next send, so a second press
after the first finished sends nothing either. Sending again to one person is a choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.service import make_signin_links, store_signin_links
from api.badges.service import issue_missing_badges
from api.badges.tokens import display_code
from api.db import insert_ignoring_duplicates
from api.followups.digests import digest_event
from api.i18n import pick_language
from api.invitations.mail import render_invitation
from api.mail import Outgoing, enqueue_many
from api.models import Account, Attendee, Badge, Event
from api.settings import Settings

INVITATION_KIND = "invitation"
SIGNIN_VALID_FOR = timedelta(days=7)
# Invited this recently: left out of the next send (a second press, a second organizer).
RECENT = timedelta(minutes=10)
# The most attendees one request may choose by id.
MAX_CHOSEN = 1000
BATCH = 500

Who = Literal["not_invited", "all", "chosen"]


@dataclass(frozen=True, slots=True)
class InvitationsSent:
    queued: int
    skipped_recent: int


@dataclass(frozen=True, slots=True)
class InvitationCounts:
    attendees: int
    invited: int
    signed_in: int
    card_set_up: int


def setup_path(event: Event) -> str:
    return f"/events/{event.slug}/setup"


async def _chosen(
    session: AsyncSession, event: Event, who: Who, attendee_ids: Sequence[int]
) -> list[Attendee]:
    query = select(Attendee).where(Attendee.event_id == event.id).order_by(Attendee.id)
    if who == "not_invited":
        query = query.where(Attendee.invited_at.is_(None))
    elif who == "chosen":
        query = query.where(Attendee.id.in_(list(attendee_ids)[:MAX_CHOSEN]))
    return list(await session.scalars(query))


async def _accounts(
    session: AsyncSession, event: Event, people: Sequence[Attendee]
) -> dict[str, Account]:
    """Each person's account, made for those who have none yet (in their language)."""
    emails = [person.email for person in people]
    found: dict[str, Account] = {}
    for start in range(0, len(emails), BATCH):
        chunk = emails[start : start + BATCH]
        found.update(
            (account.email, account)
            for account in await session.scalars(select(Account).where(Account.email.in_(chunk)))
        )
    fallback = event.languages[0] if event.languages else "es"
    missing = [
        {"email": p.email, "language": pick_language(p.language or fallback)}
        for p in people
        if p.email not in found
    ]
    if missing:
        await session.execute(insert_ignoring_duplicates(session, Account, ["email"]), missing)
        for start in range(0, len(missing), BATCH):
            chunk = [row["email"] for row in missing[start : start + BATCH]]
            found.update(
                (account.email, account)
                for account in await session.scalars(
                    select(Account).where(Account.email.in_(chunk))
                )
            )
    return found


async def _badge_codes(session: AsyncSession, people: Sequence[Attendee]) -> dict[int, str]:
    codes: dict[int, str] = {}
    ids = [person.id for person in people]
    for start in range(0, len(ids), BATCH):
        rows = await session.execute(
            select(Badge.attendee_id, Badge.token).where(
                Badge.attendee_id.in_(ids[start : start + BATCH]), Badge.revoked_at.is_(None)
            )
        )
        codes.update((row.attendee_id or 0, display_code(row.token)) for row in rows)
    return codes


async def invite(
    session: AsyncSession,
    settings: Settings,
    event: Event,
    who: Who,
    attendee_ids: Sequence[int] = (),
    *,
    now: datetime,
) -> InvitationsSent:
    """Queue the invitations of the attendees `who` names (see the module docstring)."""
    people = await _chosen(session, event, who, attendee_ids)
    recent = [p for p in people if p.invited_at is not None and now - p.invited_at < RECENT]
    people = [p for p in people if p not in recent]
    if not people:
        return InvitationsSent(queued=0, skipped_recent=len(recent))
    await issue_missing_badges(session, event.id)
    accounts = await _accounts(session, event, people)
    codes = await _badge_codes(session, people)
    tokens, links = make_signin_links(
        settings,
        [(accounts[p.email].id, setup_path(event)) for p in people],
        valid_for=SIGNIN_VALID_FOR,
        now=now,
    )
    brief = digest_event(event)
    signin_url = f"{settings.base_url.rstrip('/')}/signin"
    messages = []
    for person, link in zip(people, links, strict=True):
        account = accounts[person.email]
        rendered = render_invitation(
            person.name,
            brief,
            pick_language(person.language or account.language),
            link,
            codes[person.id],
            signin_url,
        )
        messages.append(
            Outgoing(
                key=f"{INVITATION_KIND}:{event.id}:{person.id}:{person.invitations}",
                kind=INVITATION_KIND,
                to=person.email,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                event_id=event.id,
                account_id=account.id,
            )
        )
    await store_signin_links(session, tokens)
    queued = await enqueue_many(session, messages, now)
    ids = [person.id for person in people]
    for start in range(0, len(ids), BATCH):
        await session.execute(
            update(Attendee)
            .where(Attendee.id.in_(ids[start : start + BATCH]))
            .values(invited_at=now, invitations=Attendee.invitations + 1)
            .execution_options(synchronize_session=False)
        )
    return InvitationsSent(queued=queued, skipped_recent=len(recent))


async def invitation_counts(session: AsyncSession, event: Event) -> InvitationCounts:
    """How many attendees were invited, have signed in, and have set up their card."""
    signed_in = (
        select(Account.id)
        .where(Account.email == Attendee.email, Account.signed_in_at.is_not(None))
        .exists()
    )
    row = (
        await session.execute(
            select(
                func.count(),
                func.count(Attendee.invited_at),
                func.count().filter(signed_in),
                func.count(Attendee.card_set_up_at),
            ).where(Attendee.event_id == event.id)
        )
    ).one()
    return InvitationCounts(attendees=row[0], invited=row[1], signed_in=row[2], card_set_up=row[3])
