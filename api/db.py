"""Engine, sessions and the one transaction per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from sqlalchemy import Insert, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from api.settings import Settings


def _json_text(value: Any) -> str:
    return msgspec.json.encode(value).decode()


# JSON columns are read on every scan (cards, tags, results): msgspec decodes them ~9x faster
# than the standard library (measured: 0.14 against 1.26 µs for a three-term list).
JSON_CODEC: dict[str, Any] = {
    "json_serializer": _json_text,
    "json_deserializer": msgspec.json.decode,
}


# An execution option: see `snapshot`.
SNAPSHOT = "enlace_snapshot"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(settings: Settings, read_only: bool = False) -> AsyncEngine:
    """Create the engine; SQLite gets WAL, foreign keys and immediate write locks, or, for the
    `read_only` engine GET requests use, connections that refuse writes and take no lock."""
    url = settings.database_url
    if is_sqlite(url):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # Readers do not block one another in WAL mode: enough connections that a burst of
        # phones does not leave the next request waiting for one (each is a thread here).
        # Nothing to roll back when a reader's connection returns: its statements each stand
        # alone (see configure_sqlite).
        pool: dict[str, Any] = (
            {"pool_size": 10, "max_overflow": 50, "pool_reset_on_return": None} if read_only else {}
        )
        engine = create_async_engine(url, connect_args={"timeout": 30}, **pool, **JSON_CODEC)
        configure_sqlite(engine.sync_engine, read_only)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, **JSON_CODEC)


def configure_sqlite(engine: Engine, read_only: bool = False) -> None:
    """WAL, foreign keys, a busy timeout, and transactions that take the write lock at BEGIN;
    a `read_only` engine's transactions take no lock and its connections refuse writes.

    Reads on their own engine never queue behind one another or behind writers: with every
    request at BEGIN IMMEDIATE, 50 phones refreshing the directory held /health's p99 above
    200 ms. query_only turns a write slipped into a read into an error (in tests too) instead of
    the rare "database is locked" a deferred transaction that writes can meet.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so writes can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if read_only:
            # No BEGIN: each statement reads the latest committed state on its own, as every
            # statement does on PostgreSQL (read committed), and a request saves the round
            # trips to the driver's thread that BEGIN and COMMIT cost (a fifth of a 304's).
            return
        if connection.get_execution_options().get(SNAPSHOT):
            # `snapshot`: a transaction that only reads, from one consistent state, without the
            # write lock (WAL readers never block writers); a write in it would fail.
            connection.exec_driver_sql("BEGIN")
            return
        # A deferred transaction that reads then writes can fail with "database is locked" in WAL
        # mode even with a busy timeout; taking the write lock at BEGIN avoids that.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@asynccontextmanager
async def snapshot(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session that only reads, from one consistent state, and is rolled back: long reads
    (a whole event's follow-ups) made while scans and check-ins go on writing. On SQLite it
    takes no write lock; on PostgreSQL it is a repeatable-read transaction."""
    async with factory() as session:
        await session.connection(
            execution_options={SNAPSHOT: True, "isolation_level": "REPEATABLE READ"}
            if session.get_bind().dialect.name == "postgresql"
            else {SNAPSHOT: True}
        )
        try:
            yield session
        finally:
            # What was read stays readable after it (a rollback would expire it).
            session.expunge_all()
            await session.rollback()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Open a session inside a transaction that commits on success and rolls back on error."""
    async with factory() as session, session.begin():
        yield session


def insert_ignoring_duplicates(
    session: AsyncSession, model: type[Any], index_elements: list[str], **where: Any
) -> Insert:
    """INSERT ... ON CONFLICT (index_elements) DO NOTHING for the session's database: rows a
    concurrent request inserted meanwhile are skipped, not an error (`index_where` for a partial
    unique index)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing(
            index_elements=index_elements, **where
        )
    return sqlite.insert(model).on_conflict_do_nothing(index_elements=index_elements, **where)
