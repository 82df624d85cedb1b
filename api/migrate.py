"""Apply Alembic migrations from code (make run, tests, the CLI)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db import SNAPSHOT

MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationError(RuntimeError):
    """A migration would leave the database inconsistent; nothing of it was committed."""


class DatabaseNotReady(RuntimeError):
    """The database cannot be used as it is: unreachable, or not at this code's schema."""


def alembic_config() -> Config:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _pragma(connection: Connection, statement: str) -> None:
    # On the driver's connection, outside any transaction: SQLite ignores this pragma inside one.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


@contextmanager
def migrating(connection: Connection) -> Iterator[None]:
    """A transaction to migrate in. On SQLite, foreign keys are off meanwhile: it changes most
    of a table by rebuilding it (copy, drop, rename), and with them on, dropping the old table
    would delete (or empty) every row that references it. References are checked before the
    commit instead."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        with connection.begin():
            yield
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise MigrationError(
                        f"The migration left {len(broken)} broken references "
                        f"(first: table {broken[0][0]}, row {broken[0][1]}); nothing was changed."
                    )
    finally:
        if sqlite:
            _pragma(connection, "PRAGMA foreign_keys=ON")


def _run(connection: Connection, action: str, revision: str) -> None:
    with migrating(connection):
        config = alembic_config()
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


async def upgrade_database(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database to `revision` on the given engine."""
    async with engine.connect() as connection:
        await connection.run_sync(_run, "upgrade", revision)


async def downgrade_database(engine: AsyncEngine, revision: str) -> None:
    """Take the database back to `revision` (for tests of a migration's way back)."""
    async with engine.connect() as connection:
        await connection.run_sync(_run, "downgrade", revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None before its first migration); DatabaseNotReady
    when it cannot be reached."""
    try:
        async with engine.connect() as connection:
            # A snapshot: the look takes no write lock on SQLite.
            connection = await connection.execution_options(**{SNAPSHOT: True})
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    except (OSError, DBAPIError) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseNotReady(
            f"Cannot open the database {where}: {reason}. Check DATABASE_URL, and that the "
            "database server is running."
        ) from exc


async def require_current_schema(engine: AsyncEngine) -> None:
    """Refuse to go on unless the database is reachable and migrated to this code's schema:
    otherwise the first query would fail with a missing table or column."""
    current = await current_revision(engine)
    where = engine.url.render_as_string(hide_password=True)
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    if current == head:
        return
    if current is None:
        raise DatabaseNotReady(
            f"The database {where} has no tables yet: run `enlace migrate` first."
        )
    try:
        scripts.get_revision(current)
    except CommandError:
        raise DatabaseNotReady(
            f"The database {where} was migrated by a newer version of Enlace (revision {current}, "
            f"this one knows up to {head}): run that version, or update this one."
        ) from None
    raise DatabaseNotReady(
        f"The database {where} is at an older version (revision {current}, this code needs "
        f"{head}): run `enlace migrate` first."
    )
