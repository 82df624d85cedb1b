"""Putting messages in the queue, and counting what became of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from api.mail.sender import new_message_id
from api.models import MailMessage, utcnow


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
    now = now or utcnow()
    values: dict[str, Any] = {
        "key": key,
        "kind": kind,
        "to": to,
        "subject": subject,
        "text": text,
        "html": html,
        "headers": headers or {},
        "event_id": event_id,
        "account_id": account_id,
        "message_id": new_message_id(),
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
    }
    # INSERT ... ON CONFLICT DO NOTHING: two senders queueing the same key at once (a button
    # pressed twice, the scheduler and an organizer) neither fail nor make a second copy.
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(MailMessage)
        .values(values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(MailMessage.id)
    )
    return (await session.execute(statement)).scalar() is not None


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
