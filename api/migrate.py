"""Apply Alembic migrations from code (make run, tests, the CLI)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


class MigrationError(RuntimeError):
    """A migration would leave the database inconsistent; nothing of it was committed."""


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
