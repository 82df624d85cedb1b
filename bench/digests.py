"""Queueing a whole event's follow-up digests on SQLite: `python -m bench.digests [ATTENDEES]`
prints one JSON line (ATTENDEES, or ENLACE_BENCH_DIGEST_ATTENDEES, default 10,000; 20
connections each).

Each case runs in its own process (its own peak RSS) on the same seeded database:
- `chunked`: `queue_digests_in_chunks`, as "send now" and the runner do: the whole event's
  follow-ups read once from a snapshot, digests built outside any transaction, stored 300 per
  short write transaction with one multi-row insert;
- `baseline`: one transaction, and per attendee their own follow-up list (`followup_list`, the
  query of one attendee's screen), one sign-in link insert and one queue insert, on the first
  BASELINE_SHARE of the attendees (it is slow; its rate is what is compared).
The longest write transaction (BEGIN IMMEDIATE to COMMIT) is what a scan waits behind at worst.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.auth.service import issue_signin_link
from api.db import SNAPSHOT, create_engine, session_factory, transaction
from api.followups import digests
from api.followups.digest import DigestLinks, render_digest
from api.followups.reminders import local_day
from api.followups.service import followup_list
from api.followups.unsubscribe import unsubscribe_headers, unsubscribe_page_url
from api.mail import enqueue
from api.migrate import upgrade_database
from api.models import (
    Account,
    Attendee,
    Connection,
    Event,
    Followup,
    MailMessage,
    SigninToken,
)
from api.settings import Settings, finalize
from bench.export import peak_rss_mb

ATTENDEES = int(os.environ.get("ENLACE_BENCH_DIGEST_ATTENDEES", "10000"))
PER_ATTENDEE = 20
BASELINE_SHARE = 0.1  # of the attendees the baseline queues (its rate is compared)
SLUG = "bench-digests"
MET = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 12, 8, 0, tzinfo=UTC)
INSERT_BATCH = 20_000
WORDS = ["energía", "salud pública", "Python", "agua", "clima", "movilidad", "人工智能", "diseño"]


def settings_for(data_dir: Path) -> Settings:
    return finalize(
        Settings(
            database_url=f"sqlite+aiosqlite:///{data_dir / 'bench.db'}",
            data_dir=data_dir,
            secret_key="x" * 40,
            base_url="http://127.0.0.1:8000",
        )
    )


async def prepare(data_dir: Path, attendees: int) -> None:
    """An event of `attendees`, each with an account (one in 20 unsubscribed) and 20
    connections (a note on one in five, a follow-up state on one in ten)."""
    rng = random.Random(12)
    engine = create_engine(settings_for(data_dir))
    await upgrade_database(engine)
    try:
        async with transaction(session_factory(engine)) as db:
            found = Event(
                slug=SLUG,
                name="Congreso de Bench",
                starts_on=date(2026, 3, 10),
                ends_on=date(2026, 3, 11),
                timezone="Europe/Madrid",
            )
            db.add(found)
            await db.flush()
            await db.execute(
                insert(Attendee),
                [
                    {
                        "event_id": found.id,
                        "email": f"person{i}@example.org",
                        "name": f"Persona Número {i} Núñez",
                        "organization": f"Organización {i % 300}",
                        "language": ("es", "en", "")[i % 3],
                        "interests": rng.sample(WORDS, 2),
                        "shared_fields": (["email", "interests"], [], ["interests"])[i % 3],
                    }
                    for i in range(attendees)
                ],
            )
            await db.execute(
                insert(Account),
                [
                    {
                        "email": f"person{i}@example.org",
                        "language": ("en", "es")[i % 2],
                        "digest_opt_out_at": MET if i % 20 == 7 else None,
                    }
                    for i in range(attendees)
                ],
            )
            people = list(
                await db.scalars(select(Attendee.id).where(Attendee.event_id == found.id))
            )
            rows = []
            for n, owner in enumerate(people):
                others = [p for p in rng.sample(people, PER_ATTENDEE + 1) if p != owner]
                for k, other in enumerate(others[:PER_ATTENDEE]):
                    met = MET + timedelta(seconds=rng.randrange(2 * 86_400))
                    rows.append(
                        {
                            "event_id": found.id,
                            "owner_id": owner,
                            "other_id": other,
                            "first_met_at": met,
                            "last_met_at": met,
                            "scan_count": 1 + (k % 3 == 0),
                            "note": f"Habló de {WORDS[k % 8]}; enviarle el enlace."
                            if (n + k) % 5 == 0
                            else "",
                            "tags": ["evento"] if k % 4 == 0 else [],
                        }
                    )
            for first in range(0, len(rows), INSERT_BATCH):
                await db.execute(insert(Connection), rows[first : first + INSERT_BATCH])
            ids = list(
                await db.scalars(select(Connection.id).where(Connection.event_id == found.id))
            )
            await db.execute(
                insert(Followup),
                [
                    {
                        "connection_id": cid,
                        "done_at": MET + timedelta(days=1) if j % 2 else None,
                        "reminders_off": False,
                        "reminder_dates": {},
                        "changed_at": MET + timedelta(days=1),
                    }
                    for j, cid in enumerate(ids[::10])
                ],
            )
    finally:
        await engine.dispose()


def watch_write_transactions(engine: AsyncEngine, durations: list[float]) -> None:
    """Record how long each write transaction held SQLite's write lock (BEGIN IMMEDIATE to
    COMMIT or ROLLBACK); snapshots take no lock and are left out."""

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        if not connection.get_execution_options().get(SNAPSHOT):
            connection.info["began"] = time.perf_counter()

    def _end(connection: Any) -> None:
        began = connection.info.pop("began", None)
        if began is not None:
            durations.append(time.perf_counter() - began)

    event.listen(engine.sync_engine, "commit", _end)
    event.listen(engine.sync_engine, "rollback", _end)


async def baseline(settings: Settings, engine: AsyncEngine, limit: int) -> int:
    """One transaction; per attendee one follow-up list, one sign-in link, one queue insert."""
    async with transaction(session_factory(engine)) as db:
        found = await db.scalar(select(Event).where(Event.slug == SLUG))
        assert found is not None
        people = (
            await db.execute(
                select(Attendee, Account)
                .join(Account, Account.email == Attendee.email)
                .where(Attendee.event_id == found.id)
                .order_by(Attendee.id)
                .limit(limit)
            )
        ).all()
        today = local_day(NOW, found.timezone)
        brief = digests.digest_event(found)
        queued = 0
        for attendee, account in people:
            if account.digest_opt_out_at is not None:
                continue
            mine = await followup_list(db, found, attendee, account, today, with_starters=False)
            if not mine.followups:
                continue
            link = await issue_signin_link(
                db,
                settings,
                account.id,
                digests.followups_path(found),
                valid_for=digests.SIGNIN_VALID_FOR,
                now=NOW,
            )
            rendered = render_digest(
                attendee.name,
                brief,
                digests.digest_people(mine.followups),
                digests.recipient_language(attendee, account),
                DigestLinks(followups=link, unsubscribe=unsubscribe_page_url(settings, account.id)),
            )
            queued += await enqueue(
                db,
                key=digests.digest_key(found.id, attendee.id),
                kind=digests.DIGEST_KIND,
                to=account.email,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                headers=unsubscribe_headers(settings, account.id),
                event_id=found.id,
                account_id=account.id,
                now=NOW,
            )
    return queued


async def measure(data_dir: Path, case: str, attendees: int) -> dict[str, Any]:
    settings = settings_for(data_dir)
    engine = create_engine(settings)
    writes: list[float] = []
    watch_write_transactions(engine, writes)
    sessionmaker = session_factory(engine)
    try:
        async with transaction(sessionmaker) as db:  # each case starts from an empty queue
            await db.execute(delete(MailMessage))
            await db.execute(delete(SigninToken))
            event_id = await db.scalar(select(Event.id).where(Event.slug == SLUG))
        assert event_id is not None
        writes.clear()
        rss_before = peak_rss_mb()
        started, cpu = time.perf_counter(), time.process_time()
        if case == "chunked":
            result = await digests.queue_digests_in_chunks(sessionmaker, settings, event_id, NOW)
            assert result is not None
            queued = result.queued
            considered = attendees
        else:
            considered = max(1, int(attendees * BASELINE_SHARE))
            queued = await baseline(settings, engine, considered)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        async with transaction(sessionmaker) as db:
            stored = await db.scalar(select(func.count()).select_from(MailMessage))
            sample = list(
                await db.scalars(select(MailMessage.text).order_by(MailMessage.key).limit(3))
            )
    finally:
        await engine.dispose()
    assert stored == queued
    return {
        "case": case,
        "attendees_considered": considered,
        "queued": queued,
        "seconds": round(seconds, 2),
        "cpu_s": round(cpu, 2),
        "digests_per_s": round(queued / seconds, 1),
        "write_transactions": len(writes),
        "longest_write_ms": round(max(writes, default=0) * 1000, 1),
        "write_lock_total_s": round(sum(writes), 2),
        "load_average": os.getloadavg()[0],
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_rss_before_mb": round(rss_before, 1),
        "sample_chars": sum(len(text) for text in sample),
    }


def run_case(data_dir: Path, case: str, attendees: int) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.digests", "case", str(data_dir), case, str(attendees)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def bench_digests(attendees: int = ATTENDEES) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="enlace-bench-") as folder:
        data_dir = Path(folder)
        began = time.perf_counter()
        asyncio.run(prepare(data_dir, attendees))
        prepared_s = time.perf_counter() - began
        chunked = run_case(data_dir, "chunked", attendees)
        base = run_case(data_dir, "baseline", attendees)
    # The baseline queued a share of the event: compared by rate, and its time for the whole
    # event estimated from that rate.
    base["whole_event_s_estimated"] = round(chunked["queued"] / base["digests_per_s"], 1)
    return {
        "attendees": attendees,
        "connections": attendees * PER_ATTENDEE,
        "chunk_size": digests.CHUNK_SIZE,
        "prepare_s": round(prepared_s, 1),
        "chunked": chunked,
        "baseline": base,
        "speedup": round(chunked["digests_per_s"] / base["digests_per_s"], 2),
    }


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "case":
        found = asyncio.run(measure(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])))
        print(json.dumps(found))
    else:
        size = int(sys.argv[1]) if len(sys.argv) > 1 else ATTENDEES
        print(json.dumps(bench_digests(size)))
