"""Putting messages in the queue, and counting what became of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.mail.sender import new_message_id
from api.models import MailMessage, utcnow


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message for `enqueue_many`: what `enqueue` takes, as a value."""

    key: str
    kind: str
    to: str
    subject: str
    text: str
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    event_id: int | None = None
    account_id: int | None = None


# Bound parameters per statement: SQLite (3.32 and later) allows 32,766, PostgreSQL's protocol
# 32,767. A row of the queue binds 15; 1,000 rows stay well inside both.
ROWS_PER_INSERT = 1000


def _row(message: Outgoing, now: datetime) -> dict[str, Any]:
    return {
        "key": message.key,
        "kind": message.kind,
        "to": message.to,
        "subject": message.subject,
        "text": message.text,
        "html": message.html,
        "headers": message.headers,
        "event_id": message.event_id,
        "account_id": message.account_id,
        "message_id": new_message_id(),
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
    }


def _insert_new(session: AsyncSession) -> Any:
    # INSERT ... ON CONFLICT DO NOTHING: two senders queueing the same key at once (a button
    # pressed twice, the scheduler and an organizer) neither fail nor make a second copy.
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(MailMessage).on_conflict_do_nothing(index_elements=["key"]).returning(MailMessage.id)
    )


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    headers: dict[str, str] | None = None,
    event_id: int | None = None,
    account_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Queue a message under `key`, due at `now`; False when that key is already queued (the
    first stays)."""
    message = Outgoing(key, kind, to, subject, text, html, headers or {}, event_id, account_id)
    return await enqueue_many(session, [message], now) == 1


async def enqueue_many(
    session: AsyncSession, messages: Sequence[Outgoing], now: datetime | None = None
) -> int:
    """Queue many messages, due at `now`, in one multi-row INSERT per 1,000; answers how many
    were new. A key already queued (or twice in `messages`) keeps its first message."""
    now = now or utcnow()
    # A key twice in one call: the first stays, as it does across calls, without relying on how
    # each database treats one statement's VALUES conflicting with themselves.
    seen: set[str] = set()
    rows = []
    for message in messages:
        if message.key not in seen:
            seen.add(message.key)
            rows.append(_row(message, now))
    if not rows:
        return 0
    # Executed with many parameter sets, SQLAlchemy sends one multi-row INSERT ... RETURNING
    # per ROWS_PER_INSERT rows ("insertmanyvalues") from one compiled statement; a statement
    # built with .values(rows) instead was compiled afresh each time (0.4 s for 300 digests,
    # all of it inside the write transaction).
    connection = await session.connection()
    result = await connection.execute(
        _insert_new(session).execution_options(insertmanyvalues_page_size=ROWS_PER_INSERT),
        rows,
    )
    return len(result.all())


async def mail_counts(session: AsyncSession, event_id: int, kind: str) -> dict[str, int]:
    """How many of an event's messages of `kind` wait (or are being sent), went out, failed."""
    rows = await session.execute(
        select(MailMessage.status, func.count())
        .where(MailMessage.event_id == event_id, MailMessage.kind == kind)
        .group_by(MailMessage.status)
    )
    counts = {"queued": 0, "sent": 0, "failed": 0}
    for status, count in rows.all():
        counts["queued" if status == "sending" else status] += count
    return counts


async def mail_failures(
    session: AsyncSession, event_id: int, kind: str, limit: int = 100
) -> list[tuple[str, str]]:
    """The addresses of an event's failed messages of `kind`, with the server's answer."""
    rows = await session.execute(
        select(MailMessage.to, MailMessage.last_error)
        .where(
            MailMessage.event_id == event_id,
            MailMessage.kind == kind,
            MailMessage.status == "failed",
        )
        .order_by(MailMessage.to)
        .limit(limit)
    )
    return list(rows.all())
