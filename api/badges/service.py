"""Badge tokens in the database: issue, reissue, resolve a scan, and gather badges to print."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Insert, Row, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.attendees.card import shared_card
from api.attendees.directory import refresh_directory
from api.badges.outcome import BADGE_OUTCOMES, SeenBadge, badge_outcome
from api.badges.render import BadgeData
from api.badges.schemas import BadgeOut, ScanOut
from api.badges.tokens import badge_url, display_code, new_token, token_from_scan
from api.db import insert_ignoring_duplicates
from api.errors import Gone, NotFound
from api.input import MAX_ROW_ID
from api.models import Account, Attendee, Badge, Event, EventRole, utcnow
from api.starters.service import card_in_language, starters_between

CHUNK = 1000


def _unknown_badge() -> NotFound:
    # One answer for unknown, malformed, and other events' badges: no oracle for outsiders.
    return NotFound(BADGE_OUTCOMES["unknown_badge"], code="unknown_badge")


def _insert_new_badges(session: AsyncSession) -> Insert:
    """INSERT of badges that skips attendees who meanwhile got an active one elsewhere.

    Two requests may issue for the same attendee at once (PostgreSQL runs them concurrently);
    the partial unique index keeps one active badge and the other insert quietly does nothing.
    """
    return insert_ignoring_duplicates(
        session, Badge, ["attendee_id"], index_where=Badge.revoked_at.is_(None)
    )


async def issue_missing_badges(session: AsyncSession, event_id: int) -> int:
    """Give every attendee of the event without an active badge a new token; returns how many."""
    # NOT EXISTS, never NOT IN: the badge of a removed attendee stays, emptied (attendee_id
    # NULL), and one NULL in a NOT IN list would make it match nobody at all.
    active = select(Badge.id).where(Badge.attendee_id == Attendee.id, Badge.revoked_at.is_(None))
    missing = list(
        await session.scalars(
            select(Attendee.id).where(Attendee.event_id == event_id, ~active.exists())
        )
    )
    now = utcnow()
    for start in range(0, len(missing), CHUNK):
        rows = [
            {
                "event_id": event_id,
                "attendee_id": attendee_id,
                "token": new_token(),
                "issued_at": now,
            }
            for attendee_id in missing[start : start + CHUNK]
        ]
        await session.execute(_insert_new_badges(session), rows)
    if missing:
        await refresh_directory(session, event_id, missing)
    return len(missing)


async def active_badge(session: AsyncSession, attendee: Attendee) -> Badge:
    """The attendee's current badge, issued now if they have none yet."""
    current = select(Badge).where(Badge.attendee_id == attendee.id, Badge.revoked_at.is_(None))
    badge = await session.scalar(current)
    if badge is None:
        await session.execute(
            _insert_new_badges(session).values(
                event_id=attendee.event_id,
                attendee_id=attendee.id,
                token=new_token(),
                issued_at=utcnow(),
            )
        )
        badge = await session.scalar(current)
        await refresh_directory(session, attendee.event_id, [attendee.id])
    assert badge is not None  # inserted here, or by a concurrent request that won
    return badge


async def reissue_badge(session: AsyncSession, attendee: Attendee) -> Badge:
    """Revoke the attendee's badge at once and issue a new token."""
    # Concurrent reissues of one person run one after the other (PostgreSQL row lock).
    await session.execute(select(Attendee.id).where(Attendee.id == attendee.id).with_for_update())
    await session.execute(
        update(Badge)
        .where(Badge.attendee_id == attendee.id, Badge.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    badge = Badge(event_id=attendee.event_id, attendee_id=attendee.id, token=new_token())
    session.add(badge)
    await session.flush()
    await refresh_directory(session, attendee.event_id, [attendee.id])
    return badge


def describe_badge(event: Event, attendee: Attendee, badge: Badge, base_url: str) -> BadgeOut:
    from api.badges import qr

    url = badge_url(base_url, badge.token)
    return BadgeOut(
        event=event.slug,
        event_name=event.name,
        token=badge.token,
        code=display_code(badge.token),
        url=url,
        qr=qr.encode(url).row_strings(),
        card=shared_card(attendee),
    )


def badge_data(event: Event, attendee: Attendee, badge: Badge, base_url: str) -> BadgeData:
    return BadgeData(
        name=attendee.name,
        organization=attendee.organization,
        role=attendee.role,
        event_name=event.name,
        token=badge.token,
        url=badge_url(base_url, badge.token),
    )


async def resolve_scan(
    session: AsyncSession, account: Account, scanned: str, language: str = "es"
) -> ScanOut:
    """Whose badge `scanned` (a badge URL or typed code) is, for a person of the same event."""
    token = token_from_scan(scanned)
    if token is None:
        raise _unknown_badge()
    # One query whether the token is unknown or of an event the scanner is not part of, so
    # neither answer nor timing tells an outsider that a token exists.
    colleague = aliased(Attendee)
    member = or_(
        exists().where(EventRole.event_id == Event.id, EventRole.account_id == account.id),
        exists().where(colleague.event_id == Event.id, colleague.email == account.email),
    )
    found = (
        await session.execute(
            select(Badge, Attendee, Event)
            .join(Event, Event.id == Badge.event_id)
            .outerjoin(Attendee, Attendee.id == Badge.attendee_id)
            .where(Badge.token == token, member)
        )
    ).first()
    if found is None:
        raise _unknown_badge()
    badge, attendee, event = found
    # Staff and organizers may look at their own badge too: a self scan is shown, not refused.
    seen = SeenBadge(event.id, badge.attendee_id, badge.revoked_at is not None)
    outcome = badge_outcome(seen, event.id, None)
    if outcome is not None:
        # Said only to people of the same event, who may have scanned an old printout.
        raise Gone(BADGE_OUTCOMES[outcome], code=outcome)
    assert attendee is not None
    is_me = attendee.email == account.email
    reader = (
        None
        if is_me
        else await session.scalar(
            select(Attendee).where(Attendee.event_id == event.id, Attendee.email == account.email)
        )
    )
    return ScanOut(
        event=event.slug,
        event_name=event.name,
        card=await card_in_language(session, event, shared_card(attendee), language),
        is_me=is_me,
        # Staff and organizers who are not attendees have no profile to start from.
        starters=await starters_between(session, event, reader, attendee, language)
        if reader is not None
        else [],
    )


async def badges_to_print(
    session: AsyncSession,
    event: Event,
    base_url: str,
    condition: ColumnElement[bool],
    attendee_ids: Sequence[int] | None = None,
    limit: int | None = None,
) -> list[BadgeData]:
    """Badge data for the selected attendees, in name order (issuing missing tokens first)."""
    await issue_missing_badges(session, event.id)
    query = (
        select(Attendee.name, Attendee.organization, Attendee.role, Badge.token)
        .join(Badge, (Badge.attendee_id == Attendee.id) & Badge.revoked_at.is_(None))
        .where(condition)
        .order_by(Attendee.name, Attendee.id)
        .limit(limit)
    )
    rows: list[Row[tuple[str, str, str, str]]] = []
    wanted = list(attendee_ids) if attendee_ids is not None else [None]
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        selected = query if attendee_ids is None else query.where(Attendee.id.in_(chunk))
        rows.extend(await session.execute(selected))
    if attendee_ids is not None:
        rows.sort(key=lambda row: row.name)
    return [
        BadgeData(
            name=row.name,
            organization=row.organization,
            role=row.role,
            event_name=event.name,
            token=row.token,
            url=badge_url(base_url, row.token),
        )
        for row in rows
    ]


async def attendee_in_event(session: AsyncSession, event: Event, attendee_id: int) -> Attendee:
    # An id no row can have is unknown, not a query PostgreSQL refuses (ids are 32-bit there).
    attendee = (
        await session.scalar(
            select(Attendee).where(Attendee.id == attendee_id, Attendee.event_id == event.id)
        )
        if 0 < attendee_id <= MAX_ROW_ID
        else None
    )
    if attendee is None:
        raise NotFound("No such attendee in this event.", code="attendee_not_found")
    return attendee
