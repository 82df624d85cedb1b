"""Print runs: a PDF of badge sheets rendered off the event loop, with progress in the database."""

from __future__ import annotations

import logging
import secrets
import time
from datetime import timedelta
from pathlib import Path

import anyio
import anyio.from_thread
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.badges.render import LAYOUTS, BadgeData, write_badge_sheets
from api.badges.schemas import PrintJobOut
from api.db import transaction
from api.errors import Conflict, NotFound
from api.models import BadgeJob, Event, utcnow

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 0.5  # seconds between progress writes
STALE_AFTER = timedelta(minutes=2)  # a running job this quiet died with its server
KEEP_FILES = timedelta(days=1)


def job_file(data_dir: Path, job_id: str) -> Path:
    return data_dir / "badges" / f"{job_id}.pdf"


async def create_job(
    session: AsyncSession, event: Event, account_id: int | None, layout: str, total: int
) -> BadgeJob:
    job = BadgeJob(
        id=secrets.token_hex(16),
        event_id=event.id,
        account_id=account_id,
        layout=layout,
        total=total,
    )
    session.add(job)
    await session.flush()
    return job


async def find_job(session: AsyncSession, event: Event, job_id: str) -> BadgeJob:
    job = await session.scalar(
        select(BadgeJob).where(BadgeJob.id == job_id, BadgeJob.event_id == event.id)
    )
    if job is None:
        raise NotFound("No such print run.", code="print_job_not_found")
    return job


def describe_job(job: BadgeJob) -> PrintJobOut:
    status, error = job.status, job.error
    if status == "running" and utcnow() - job.updated_at > STALE_AFTER:
        status, error = "failed", "server_stopped"
    return PrintJobOut(
        id=job.id, layout=job.layout, status=status, total=job.total, done=job.done, error=error
    )


def finished_file(job: BadgeJob, data_dir: Path) -> Path:
    path = job_file(data_dir, job.id)
    if job.status != "done":
        raise Conflict("This print run has not finished yet.", code="print_job_not_ready")
    if not path.exists():
        raise NotFound(
            "This PDF was removed (files are kept a day). Create it again.",
            code="print_job_expired",
        )
    return path


async def run_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    data_dir: Path,
    job_id: str,
    layout: str,
    title: str,
    badges: list[BadgeData],
) -> None:
    """Render the PDF in a worker thread; the event loop keeps serving requests meanwhile."""
    path = job_file(data_dir, job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_old_files(path.parent)
    partial = path.with_suffix(".part")

    async def save(values: dict[str, object]) -> None:
        async with transaction(sessionmaker) as session:
            await session.execute(
                update(BadgeJob).where(BadgeJob.id == job_id).values(updated_at=utcnow(), **values)
            )

    last = time.monotonic()

    def progress(done: int) -> None:
        nonlocal last
        if time.monotonic() - last >= PROGRESS_EVERY:
            last = time.monotonic()
            values: dict[str, object] = {"done": done}
            anyio.from_thread.run(save, values)

    def render() -> int:
        with partial.open("wb") as out:
            return write_badge_sheets(badges, LAYOUTS[layout], out, title, progress)

    try:
        done = await anyio.to_thread.run_sync(render)
        partial.replace(path)
    except BaseException as exc:
        # Also on cancellation (the server stopping): no half-written file stays behind, and
        # the organizer sees a failure to retry instead of a run that never ends.
        logger.error("print run %s failed", job_id, exc_info=exc)
        partial.unlink(missing_ok=True)
        with anyio.CancelScope(shield=True):
            await save({"status": "failed", "error": "render_failed"})
        if not isinstance(exc, Exception):
            raise
        return
    await save({"status": "done", "done": done})


def _remove_old_files(folder: Path) -> None:
    cutoff = time.time() - KEEP_FILES.total_seconds()
    for old in [*folder.glob("*.pdf"), *folder.glob("*.part")]:
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
