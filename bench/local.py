"""What the benchmarks share: a free port, a migrated SQLite database with one event, and a real
uvicorn server running the app on the benchmark's own event loop (as `enlace serve` runs it)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import uvicorn
from litestar import Litestar
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.badges.service import issue_missing_badges
from api.db import create_engine, session_factory, transaction
from api.migrate import upgrade_database
from api.models import Attendee, Event
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


async def add_people_with_badges(
    session: AsyncSession, event_id: int, count: int, **fields: Callable[[int], Any]
) -> None:
    """`count` attendees (person{i}@example.org, "Person i", one of 50 organizations), each
    with a badge; `fields` give more columns from the person's index."""
    people = [
        {
            "event_id": event_id,
            "email": f"person{i}@example.org",
            "name": f"Person {i}",
            "organization": f"Org {i % 50}",
            **{name: value(i) for name, value in fields.items()},
        }
        for i in range(count)
    ]
    await session.execute(insert(Attendee), people)
    await issue_missing_badges(session, event_id)


async def csrf_token(port: int) -> str:
    """The CSRF cookie the server at `port` hands out (on any GET), for raw requests."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    writer.close()
    return head.split("csrftoken=", 1)[1].split(";", 1)[0]
