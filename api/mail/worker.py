"""Sending what is due in the queue, at least once, each message with its one Message-ID.

A batch is claimed in one short transaction (status `sending`, `claimed_until` = now + lease,
one more attempt) and each outcome is committed as soon as the database can take it (sent
messages in groups, while the next goes out), so a worker killed mid-run leaves only the
messages of the last moment sent but unrecorded: those (and the rest of its claimed batch) are
claimed again once the lease lapses, and a receiver can tell a resend by its Message-ID.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db import transaction
from api.mail.sender import DeliveryFailed, build_message, open_sender
from api.models import MailMessage
from api.settings import Settings

log = logging.getLogger("enlace.mail")

BATCH = 50
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """Back-off after the `attempts`-th failed try: 1, 2, 4, 8 … minutes, at most an hour
    (ten tries span about four hours, long enough for a mail server's restart or a full disk)."""
    delay: timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(delay, LONGEST_RETRY)


@dataclass
class Delivered:
    """What one run did: messages sent, put back for a later try, and given up as failed."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.failed


@dataclass(frozen=True)
class Claimed:
    id: int
    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str]
    message_id: str
    attempts: int


CLAIMED_COLUMNS = (
    MailMessage.id,
    MailMessage.to,
    MailMessage.subject,
    MailMessage.text,
    MailMessage.html,
    MailMessage.headers,
    MailMessage.message_id,
    MailMessage.attempts,
)


async def claim_due(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """Claim up to `limit` due messages: waiting ones whose time has come, and ones whose
    worker's claim lapsed (it died mid-send)."""
    due = or_(
        and_(MailMessage.status == "queued", MailMessage.next_attempt_at <= now),
        and_(MailMessage.status == "sending", MailMessage.claimed_until < now),
    )
    # SKIP LOCKED: two workers claiming at once on PostgreSQL take different messages instead
    # of queueing behind each other (SQLite takes the write lock at BEGIN: one at a time).
    chosen = (
        select(MailMessage.id)
        .where(due)
        .order_by(MailMessage.next_attempt_at, MailMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    async with transaction(sessionmaker) as session:
        rows = await session.execute(
            update(MailMessage)
            .where(MailMessage.id.in_(chosen.scalar_subquery()))
            .values(
                status="sending",
                claimed_until=now + lease,
                attempts=MailMessage.attempts + 1,
            )
            .returning(*CLAIMED_COLUMNS)
            .execution_options(synchronize_session=False)
        )
        claimed = [Claimed(**row._asdict()) for row in rows.all()]
    return sorted(claimed, key=lambda message: message.id)


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession], ids: list[int], **values: object
) -> None:
    # On the table, not the mapped class: the ORM's bulk-update path costs more than the write.
    table = cast(Table, MailMessage.__table__)
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(table).where(table.c.id.in_(ids)).values(claimed_until=None, **values)
        )


class SentRecorder:
    """Records sent messages in the background while the next one goes out: each write takes
    every message sent since the last one began, so a slow disk makes bigger groups rather than
    a slower queue, and what a crash leaves unrecorded is the few sent meanwhile."""

    # Past this many unrecorded messages the sender waits for the database to catch up.
    MOST_UNRECORDED = 20

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> None:
        self.sessionmaker = sessionmaker
        self.now = now
        self.pending: list[int] = []
        self.writing: asyncio.Task[None] | None = None

    async def add(self, message_id: int) -> None:
        self.pending.append(message_id)
        if self.writing is None or self.writing.done():
            self.writing = asyncio.create_task(self._write())
        elif len(self.pending) >= self.MOST_UNRECORDED:
            await asyncio.shield(self.writing)

    async def _write(self) -> None:
        while self.pending:
            ids, self.pending = self.pending, []
            # Once out, the body is not kept: a digest holds private notes and a sign-in link.
            await _record(
                self.sessionmaker,
                ids,
                status="sent",
                sent_at=self.now,
                last_error="",
                text="",
                html="",
            )

    async def flush(self) -> None:
        """Wait until every message sent so far is recorded (re-raising a failed write)."""
        if self.writing is not None:
            await self.writing
        if self.pending:
            await self._write()


async def _hand_back(
    sessionmaker: async_sessionmaker[AsyncSession], untried: list[Claimed], at: datetime
) -> None:
    """Return claimed messages not tried to the queue, due at `at`, their attempt not counted."""
    if untried:
        await _record(
            sessionmaker,
            [message.id for message in untried],
            status="queued",
            attempts=MailMessage.attempts - 1,
            next_attempt_at=at,
        )


async def send_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    *,
    budget_seconds: float | None = None,
) -> Delivered:
    """Send the messages due at `now`, batch after batch, for at most `budget_seconds` of wall
    time (a quarter of the lease by default), checked before each message: what is left goes
    back to the queue, so no claim lapses while its worker is still sending it."""
    lease = timedelta(seconds=settings.lease_seconds)
    budget = settings.lease_seconds / 4 if budget_seconds is None else budget_seconds
    started = time.monotonic()
    done = Delivered()
    recorder = SentRecorder(sessionmaker, now)
    untried: list[Claimed] = []
    try:
        async with open_sender(settings) as sender:
            while time.monotonic() - started < budget:
                await recorder.flush()
                untried = await claim_due(sessionmaker, now, lease, BATCH)
                if not untried:
                    break
                while untried:
                    if time.monotonic() - started >= budget:
                        # Checked before each message, not each batch: a slow server must not
                        # keep this run sending past its claims' lease, when another worker
                        # may claim the same messages and send them again.
                        await _hand_back(sessionmaker, untried, now)
                        untried = []
                        return done
                    message = untried.pop(0)
                    try:
                        await sender.deliver(
                            build_message(
                                settings,
                                message.to,
                                message.subject,
                                message.text,
                                message.html,
                                message.headers,
                                message.message_id,
                            )
                        )
                    except DeliveryFailed as failure:
                        retry_at = now + retry_delay(message.attempts)
                        if failure.permanent or message.attempts >= MAX_ATTEMPTS:
                            done.failed += 1
                            await _record(
                                sessionmaker,
                                [message.id],
                                status="failed",
                                last_error=failure.reason,
                                text="",
                                html="",
                            )
                        else:
                            done.retried += 1
                            await _record(
                                sessionmaker,
                                [message.id],
                                status="queued",
                                next_attempt_at=retry_at,
                                last_error=failure.reason,
                            )
                        if failure.server_unreachable:
                            # The rest would wait on the same dead server: they go back to the
                            # queue untried, due when this one is retried.
                            await _hand_back(sessionmaker, untried, retry_at)
                            untried = []
                            return done
                        continue
                    done.sent += 1
                    await recorder.add(message.id)
    finally:
        # Finished, or stopped (shut down, Ctrl-C): what was sent is recorded, and what was
        # claimed but not tried is due again now rather than when the lease lapses. The message
        # being sent when stopped stays claimed: whether it went is unknown.
        await asyncio.shield(_finish(sessionmaker, recorder, untried, now))
    return done


async def _finish(
    sessionmaker: async_sessionmaker[AsyncSession],
    recorder: SentRecorder,
    untried: list[Claimed],
    now: datetime,
) -> None:
    try:
        await recorder.flush()
        await _hand_back(sessionmaker, untried, now)
    except Exception:  # the lease will hand these back; the original error matters more
        log.exception("recording the end of a mail run failed")


async def send_due_mail(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> int:
    """The "mail" job: send what is due; answers how many messages it handled."""
    return (await send_due(sessionmaker, settings, now)).total
