"""What the benchmarks share: a free port, a migrated SQLite database with one event, and a real
uvicorn server running the app on the benchmark's own event loop (as `enlace serve` runs it)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import uvicorn
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db import create_engine, session_factory, transaction
from api.migrate import upgrade_database
from api.models import Event
from api.settings import Settings, finalize


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def sqlite_with_event(data_dir: Path, base_url: str) -> tuple[Settings, AsyncEngine, int]:
    """Settings for a fresh SQLite database in `data_dir`, migrated, holding event `bench`."""
    url = f"sqlite+aiosqlite:///{data_dir / 'bench.db'}"
    settings = finalize(
        Settings(database_url=url, data_dir=data_dir, secret_key="x" * 40, base_url=base_url)
    )
    engine = create_engine(settings)
    await upgrade_database(engine)
    async with transaction(session_factory(engine)) as session:
        event = Event(
            slug="bench",
            name="Bench 2026",
            starts_on=date(2026, 3, 10),
            ends_on=date(2026, 3, 11),
            timezone="UTC",
        )
        session.add(event)
        await session.flush()
        event_id = event.id
    return settings, engine, event_id


@asynccontextmanager
async def serving(app: Litestar, port: int) -> AsyncIterator[None]:
    """`app` served on 127.0.0.1:`port` by uvicorn on this event loop, until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        await task
