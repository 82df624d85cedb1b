"""The one job runner: named jobs, each claimed in the `jobs` table with a lease, so two server
processes (or a server and `enlace worker`) never run the same job at once, and a job whose
worker died is taken over when its lease lapses."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db import transaction
from api.models import Job as JobRow
from api.models import utcnow
from api.settings import Settings

log = logging.getLogger("enlace.jobs")

TICK_SECONDS = 5.0

JobRun = Callable[[async_sessionmaker[AsyncSession], Settings, datetime], Awaitable[int]]
SessionWork = Callable[[AsyncSession, Settings, datetime], Awaitable[int]]


@dataclass(frozen=True)
class Job:
    """A named piece of scheduled work; `run` answers how much it did (0: nothing was due),
    and runs again no sooner than `every` after its last run."""

    name: str
    run: JobRun
    every: timedelta = timedelta(0)


def in_one_transaction(work: SessionWork) -> JobRun:
    """A job made of `work(session, settings, now)` run in one transaction."""

    async def run(
        sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
    ) -> int:
        async with transaction(sessionmaker) as session:
            return await work(session, settings, now)

    return run


async def claim(
    session: AsyncSession,
    name: str,
    now: datetime,
    lease: timedelta,
    every: timedelta = timedelta(0),
) -> bool:
    """Claim job `name` until now + lease; False when another worker holds it or it ran less
    than `every` ago."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # The row is made on first use; two workers making it at once both go on to the UPDATE.
    await session.execute(
        insert(JobRow).values(name=name).on_conflict_do_nothing(index_elements=["name"])
    )
    # One conditional UPDATE decides: on PostgreSQL the second of two concurrent claims waits
    # for the first's row lock, then sees its claimed_until and matches nothing; SQLite
    # serializes writers at BEGIN IMMEDIATE.
    result = await session.execute(
        update(JobRow)
        .where(
            JobRow.name == name,
            or_(JobRow.claimed_until.is_(None), JobRow.claimed_until < now),
            or_(JobRow.last_run_at.is_(None), JobRow.last_run_at <= now - every),
        )
        .values(claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def release(session: AsyncSession, name: str, now: datetime) -> None:
    """Let job `name` go, recording that it ran at `now`."""
    await session.execute(
        update(JobRow)
        .where(JobRow.name == name)
        .values(claimed_until=None, last_run_at=now)
        .execution_options(synchronize_session=False)
    )


async def run_due_jobs(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    jobs: Sequence[Job],
    now: datetime,
) -> dict[str, int]:
    """Run every job that is due and not held by another worker; answers what each did."""
    lease = timedelta(seconds=settings.lease_seconds)
    done: dict[str, int] = {}
    for job in jobs:
        async with transaction(sessionmaker) as session:
            won = await claim(session, job.name, now, lease, job.every)
        if not won:
            continue
        try:
            done[job.name] = await job.run(sessionmaker, settings, now)
        except Exception:  # one job's failure (a database hiccup) must not stop the others
            log.exception("job %s failed", job.name)
            done[job.name] = 0
        finally:
            async with transaction(sessionmaker) as session:
                await release(session, job.name, now)
    return done


async def run_jobs_forever(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    jobs: Sequence[Job],
    clock: Callable[[], datetime] = utcnow,
    tick_seconds: float = TICK_SECONDS,
) -> None:
    """Run due jobs every `tick_seconds`; straight away again while they find work (a long
    queue is sent in runs of a bounded length, each one's claim well inside its lease)."""
    while True:
        try:
            done = await run_due_jobs(sessionmaker, settings, jobs, clock())
        except Exception:  # the database unreachable for a moment: try again next tick
            log.exception("running jobs failed")
            done = {}
        if not any(done.values()):
            await asyncio.sleep(tick_seconds)
