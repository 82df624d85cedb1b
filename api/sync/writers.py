"""Running batches: one transaction per request (PostgreSQL) or grouped commits (SQLite).

SQLite writes are grouped: while one group transaction runs, new requests queue, and the next
group applies all of them (each operation still in its own savepoint) under one commit, in a
worker thread on a plain sqlite3 connection, with the writes compiled once and run on the
driver's cursor (see api.sync.statements). One scan per request reaches ~2,700/s against
~300/s for commit-per-scan (bench/sync.py). PostgreSQL runs each request in its own
transaction, side by side.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import anyio
from sqlalchemy import create_engine, delete
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from api.db import JSON_CODEC, configure_sqlite, is_sqlite, transaction
from api.models import SyncOperation
from api.sync.contract import OperationResult
from api.sync.engine import SyncEngine, SyncRequest

MAX_GROUP_OPERATIONS = 1000


class SyncWriter(Protocol):
    async def apply(self, request: SyncRequest) -> list[OperationResult]: ...

    async def close(self) -> None: ...


class TransactionWriter:
    """Each request's batch in its own transaction; PostgreSQL runs them side by side."""

    def __init__(self, engine: SyncEngine, factory: async_sessionmaker[AsyncSession]) -> None:
        self.engine = engine
        self.factory = factory

    async def close(self) -> None:
        return None

    async def apply(self, request: SyncRequest) -> list[OperationResult]:
        async with transaction(self.factory) as session:
            [outcome] = await session.run_sync(self.engine.sync_for_cookies, [request])
            if isinstance(outcome, Exception):
                raise outcome  # and the transaction rolls back
            return outcome


@dataclass(slots=True)
class _Job:
    request: SyncRequest
    reply: asyncio.Future[list[OperationResult]]


class GroupCommitWriter:
    """SQLite: batches that arrive while a group is being written share the next commit."""

    def __init__(self, engine: SyncEngine, database_url: str) -> None:
        self.engine = engine
        self.db_engine = writer_engine(database_url)
        self.waiting: list[_Job] = []
        self.flusher: asyncio.Task[None] | None = None

    async def close(self) -> None:
        """Let the group being written finish, then close the writer's connection."""
        if self.flusher is not None:
            await asyncio.wait({self.flusher})
        self.db_engine.dispose()

    async def apply(self, request: SyncRequest) -> list[OperationResult]:
        job = _Job(request, asyncio.get_running_loop().create_future())
        self.waiting.append(job)
        if self.flusher is None or self.flusher.done():
            self.flusher = asyncio.create_task(self._drain())
        return await job.reply

    async def _drain(self) -> None:
        while self.waiting:
            group = [self.waiting.pop(0)]
            size = len(group[0].request.operations)
            while (
                self.waiting
                and size + len(self.waiting[0].request.operations) <= MAX_GROUP_OPERATIONS
            ):
                group.append(self.waiting.pop(0))
                size += len(group[-1].request.operations)
            try:
                outcomes = await anyio.to_thread.run_sync(self._write_group, group)
            except Exception as exc:
                # Nothing of the group was committed. With others in it, each request again in a
                # transaction of its own: one request's failure (a database error only its data
                # provokes) is not everybody's.
                outcomes = [exc] if len(group) == 1 else [await self._alone(job) for job in group]
            for job, outcome in zip(group, outcomes, strict=True):
                if job.reply.done():  # the request went away; its client will replay
                    continue
                if isinstance(outcome, Exception):
                    job.reply.set_exception(outcome)
                else:
                    job.reply.set_result(outcome)

    async def _alone(self, job: _Job) -> list[OperationResult] | Exception:
        try:
            [outcome] = await anyio.to_thread.run_sync(self._write_group, [job])
        except Exception as exc:  # its commit failed: nothing of it was applied
            return exc
        return outcome

    def _write_group(self, group: list[_Job]) -> list[list[OperationResult] | Exception]:
        # rollback_only: the session works in the group's transaction and never ends it.
        with (
            self.db_engine.connect() as connection,
            connection.begin(),
            Session(bind=connection, join_transaction_mode="rollback_only") as db,
        ):
            return self.engine.sync_for_cookies(db, [job.request for job in group])


def writer_engine(database_url: str) -> Engine:
    """A plain (synchronous) SQLite engine for the group writer, set up as api.db's."""
    url = make_url(database_url).set(drivername="sqlite")
    # One connection, kept: only the drain task writes, one group at a time, from worker
    # threads (hence check_same_thread). Closing the last connection to a WAL database
    # checkpoints it, which would cost each group milliseconds when the app is otherwise idle.
    engine = create_engine(
        url,
        pool_size=1,
        max_overflow=0,
        connect_args={"timeout": 30, "check_same_thread": False},
        **JSON_CODEC,
    )
    configure_sqlite(engine)
    return engine


def open_writer(
    engine: SyncEngine, database_url: str, factory: async_sessionmaker[AsyncSession]
) -> SyncWriter:
    """The way this deployment applies batches: grouped on SQLite, per request elsewhere."""
    if is_sqlite(database_url):
        return GroupCommitWriter(engine, database_url)
    return TransactionWriter(engine, factory)


async def prune_sync_records(db: AsyncSession, before: datetime) -> int:
    """Forget operations applied before `before`; answers how many. A phone replays what it has
    not had an answer for within minutes or days, so records are kept for weeks (the setting
    `sync_keep_days`); an operation replayed after that would be applied again."""
    pruned = await db.execute(delete(SyncOperation).where(SyncOperation.created_at < before))
    return int(getattr(pruned, "rowcount", 0) or 0)
