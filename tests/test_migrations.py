"""Migrations build the schema the models describe, from an empty database, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from api.db import create_engine
from api.models import Base
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio


async def test_migrated_schema_matches_the_models(database_url: str, tmp_path: Path) -> None:
    engine = create_engine(make_settings(database_url, tmp_path))

    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    def tables(connection: Any) -> set[str]:
        return set(inspect(connection).get_table_names())

    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
            assert {
                "accounts",
                "events",
                "attendees",
                "alembic_version",
            } <= await connection.run_sync(tables)
    finally:
        await engine.dispose()


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    from sqlalchemy import text

    engine = create_engine(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path))
    try:
        async with engine.connect() as connection:
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
    finally:
        await engine.dispose()
    assert mode == "wal"
