"""Migrations build the schema the models describe, from an empty database, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from api.db import create_engine
from api.migrate import downgrade_database, upgrade_database
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
    engine = create_engine(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", tmp_path))
    try:
        async with engine.connect() as connection:
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
    finally:
        await engine.dispose()
    assert mode == "wal"


async def test_badges_get_their_event_and_outlive_their_attendee_from_0004(
    empty_url: str, tmp_path: Path
) -> None:
    engine = create_engine(make_settings(empty_url, tmp_path))
    try:
        await upgrade_database(engine, "0003")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO events (id, slug, name, starts_on, ends_on, timezone, languages,"
                    " created_at, updated_at) VALUES (7, 'ev', 'Ev', '2026-03-10', '2026-03-11',"
                    " 'UTC', '[]', '2026-01-01', '2026-01-01')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO attendees (id, event_id, email, name, organization, role, phone,"
                    " language, ticket_type, ticket_ref, interests, looking_for, can_help_with,"
                    " links, bio, shared_fields, created_at, updated_at) VALUES (3, 7, 'a@x.org',"
                    " 'A', '', '', '', '', '', '', '[]', '[]', '[]', '[]', '', '[]', '2026-01-01',"
                    " '2026-01-01')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO badges (attendee_id, token, issued_at)"
                    " VALUES (3, 'T0KEN', '2026-01-01')"
                )
            )
        await upgrade_database(engine)
        async with engine.begin() as connection:
            badge = (await connection.execute(text("SELECT event_id FROM badges"))).one()
            card = (await connection.execute(text("SELECT offline_card FROM attendees"))).one()
            assert (badge.event_id, bool(card.offline_card)) == (7, True)
            await connection.execute(text("DELETE FROM attendees WHERE id = 3"))
            kept = (await connection.execute(text("SELECT attendee_id, token FROM badges"))).one()
            assert tuple(kept) == (None, "T0KEN")
        await downgrade_database(engine, "0003")
        async with engine.begin() as connection:
            left = (await connection.execute(text("SELECT count(*) FROM badges"))).scalar()
            assert left == 0  # a badge without its attendee cannot go back
    finally:
        await engine.dispose()
