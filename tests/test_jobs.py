"""The one job runner: a job runs in one worker at a time, is taken over when its worker dies,
and sends queued mail from the server, from `enlace worker`, or on demand."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.app import JOBS, create_app
from api.cli import main
from api.db import create_engine, session_factory, transaction
from api.jobs import Job, claim, in_one_transaction, run_due_jobs
from api.mail import enqueue
from api.models import MailMessage, utcnow
from api.settings import Settings
from tests.conftest import make_settings, outbox_messages, run_coroutine, run_in_db, wipe

NOW = datetime(2026, 3, 12, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


async def claim_in_own_transaction(settings: Settings, name: str, now: datetime) -> bool:
    engine = create_engine(settings)
    try:
        async with transaction(session_factory(engine)) as session:
            return await claim(session, name, now, LEASE)
    finally:
        await engine.dispose()


async def queue_mail(settings: Settings, key: str, now: datetime) -> None:
    await run_in_db(
        settings,
        lambda session: enqueue(
            session,
            key=key,
            kind="test",
            to="ana@example.org",
            subject="Hola",
            text="Un mensaje en cola.",
            now=now,
        ),
    )


async def run_jobs(settings: Settings, jobs: tuple[Job, ...], now: datetime) -> dict[str, int]:
    engine = create_engine(settings)
    try:
        return await run_due_jobs(session_factory(engine), settings, jobs, now)
    finally:
        await engine.dispose()


@pytest.mark.anyio
async def test_two_runners_claiming_the_same_job_at_once_one_wins(settings: Settings) -> None:
    # Each round a new name: the first claim also races to create the job's row.
    for round_ in range(10):
        name = f"race-{round_}"
        won = await asyncio.gather(
            claim_in_own_transaction(settings, name, NOW),
            claim_in_own_transaction(settings, name, NOW),
            claim_in_own_transaction(settings, name, NOW),
        )
        assert sorted(won) == [False, False, True], name


@pytest.mark.anyio
async def test_a_job_held_by_a_worker_that_died_is_taken_over_when_its_lease_lapses(
    settings: Settings,
) -> None:
    assert await claim_in_own_transaction(settings, "mail", NOW)
    assert not await claim_in_own_transaction(settings, "mail", NOW + LEASE - timedelta(seconds=1))
    assert await claim_in_own_transaction(settings, "mail", NOW + LEASE + timedelta(seconds=1))


@pytest.mark.anyio
async def test_a_job_runs_no_sooner_than_its_interval_and_one_failing_job_stops_no_other(
    settings: Settings,
) -> None:
    ran: list[str] = []

    async def count(session: AsyncSession, _: Settings, now: datetime) -> int:
        ran.append(now.isoformat())
        return 1

    async def broken(
        sessionmaker: async_sessionmaker[AsyncSession], _: Settings, now: datetime
    ) -> int:
        raise RuntimeError("the job's own bug")

    jobs = (
        Job("broken", broken),
        Job("hourly", in_one_transaction(count), every=timedelta(hours=1)),
    )
    assert await run_jobs(settings, jobs, NOW) == {"broken": 0, "hourly": 1}
    assert await run_jobs(settings, jobs, NOW + timedelta(minutes=59)) == {"broken": 0}
    assert await run_jobs(settings, jobs, NOW + timedelta(hours=1)) == {"broken": 0, "hourly": 1}
    assert len(ran) == 2
    # A job that failed is let go: it runs again next time.
    assert await claim_in_own_transaction(settings, "broken", NOW + timedelta(hours=1))


@pytest.mark.anyio
async def test_the_mail_job_sends_queued_mail(settings: Settings) -> None:
    await queue_mail(settings, "test:1", NOW)
    assert await run_jobs(settings, JOBS, NOW) == {"mail": 1}
    [message] = outbox_messages(settings, "ana@example.org")
    assert message == "Subject: Hola\n\nUn mensaje en cola."
    assert await run_jobs(settings, JOBS, NOW + timedelta(minutes=1)) == {"mail": 0}


@pytest.mark.anyio
async def test_a_server_started_with_jobs_on_sends_queued_mail_by_itself(
    settings: Settings,
) -> None:
    settings.run_jobs = True
    await queue_mail(settings, "test:2", utcnow())

    async def status() -> str:
        found = await run_in_db(
            settings,
            lambda session: session.scalar(
                select(MailMessage.status).where(MailMessage.key == "test:2")
            ),
        )
        return str(found)

    async with AsyncTestClient(app=create_app(settings)):
        # The runner's first round starts with the server; this waits for it, not for a time.
        with anyio.fail_after(10):
            while await status() != "sent":  # noqa: ASYNC110 - the database is the signal
                await anyio.sleep(0.05)
    assert len(outbox_messages(settings, "ana@example.org")) == 1


def test_enlace_worker_once_sends_what_is_due(database_url: str, tmp_path: Path) -> None:
    run_coroutine(wipe(database_url, tmp_path))
    settings = make_settings(database_url, tmp_path)
    run_coroutine(queue_mail(settings, "test:3", utcnow()))
    env = {"DATABASE_URL": database_url, "ENLACE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["worker", "--once"], env=env)
    assert result.exit_code == 0, result.output
    assert "mail: 1" in result.output
    assert len(outbox_messages(settings, "ana@example.org")) == 1
    status = CliRunner().invoke(main, ["mail"], env=env)
    assert status.exit_code == 0, status.output
    assert "queued 0 · sending 0 · sent 1 · failed 0 · outbox folder" in status.output
