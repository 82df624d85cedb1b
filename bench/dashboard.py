"""The organizer's dashboard on SQLite; `python -m bench.dashboard` prints one JSON line.

An event of 10,000 attendees (most sharing three or so interests, spelled in several ways),
20 sessions, 200,000 check-in attempts (some refused, repeated or undone) and 200,000
connections over two days in Madrid that span the spring clock change.

Server time is `build_dashboard` on the readers' engine as a GET request uses it: its CPU time
(this process, the database thread included: what the server spends, steady on a busy shared
machine) and its wall time; then the whole request over loopback to a real uvicorn server.
Each the median of several runs after a first one that warms the page cache.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, update

from api.app import create_app
from api.auth.service import start_login_session
from api.dashboard.service import build_dashboard
from api.db import create_engine, session_factory, transaction
from api.dependencies import SESSION_COOKIE
from api.models import (
    Account,
    Attendee,
    Checkin,
    Connection,
    Event,
    EventRole,
    EventSession,
    Interest,
)
from bench.local import free_port, serving, sqlite_with_event

ATTENDEES = 10_000
CHECKINS = 200_000
CONNECTIONS = 200_000
SESSIONS = 20
REPEAT = 5
# Madrid moves its clocks forward at 01:00 UTC on 29 March 2026, between the two days.
DAY_ONE = datetime(2026, 3, 28, 7, 0, tzinfo=UTC)
HOURS_A_DAY = 11
TERMS = [f"Topic {i}" for i in range(150)]


def _moment(rng: random.Random) -> datetime:
    """A moment during one of the event's two days."""
    day = rng.randrange(2)
    return DAY_ONE + timedelta(days=day, seconds=rng.randrange(HOURS_A_DAY * 3600))


def _interests(rng: random.Random, i: int) -> list[str]:
    # Zipf-like: a few interests are common; spelled in several ways (case, the alias).
    picks = {min(int(rng.paretovariate(1.2)) - 1, len(TERMS) - 1) for _ in range(3)}
    terms = [TERMS[p] if i % 3 else TERMS[p].upper() for p in picks]
    return [*terms, "AI"] if i % 4 == 0 else terms


async def prepare(data_dir: Path, base_url: str) -> tuple[Any, str, int]:
    settings, engine, event_id = await sqlite_with_event(data_dir, base_url)
    rng = random.Random(7)
    async with transaction(session_factory(engine)) as session:
        await session.execute(
            update(Event)
            .where(Event.id == event_id)
            .values(
                timezone="Europe/Madrid", starts_on=date(2026, 3, 28), ends_on=date(2026, 3, 29)
            )
        )
        session.add_all(
            [
                Interest(event_id=event_id, key="ai", label_en="AI", label_es="IA", aliases=["AI"]),
                *(
                    Interest(event_id=event_id, key=f"topic-{i}", label_en=t, label_es=f"Tema {i}")
                    for i, t in enumerate(TERMS[:50])
                ),
            ]
        )
        await session.execute(
            insert(Attendee),
            [
                {
                    "event_id": event_id,
                    "email": f"person{i}@example.org",
                    "name": f"Person {i}",
                    "interests": _interests(rng, i),
                    "shared_fields": ["interests"] if i % 5 else [],
                }
                for i in range(ATTENDEES)
            ],
        )
        people = list(
            await session.scalars(select(Attendee.id).where(Attendee.event_id == event_id))
        )
        talks = [
            EventSession(
                event_id=event_id,
                title=f"Talk {i}",
                room=f"Room {i % 4}",
                starts_at=DAY_ONE + timedelta(days=i // 10, hours=i % 10),
                ends_at=DAY_ONE + timedelta(days=i // 10, hours=i % 10 + 1),
            )
            for i in range(SESSIONS)
        ]
        session.add_all(talks)
        await session.flush()
        outcomes = ["checked_in"] * 90 + ["already"] * 6 + ["revoked", "unknown_badge"] * 2
        await session.execute(
            insert(Checkin),
            [
                {
                    "event_id": event_id,
                    "attendee_id": rng.choice(people),
                    "session_id": None if n % 10 == 0 else rng.choice(talks).id,
                    "at": _moment(rng),
                    "method": "badge",
                    "outcome": rng.choice(outcomes),
                    "op_id": str(uuid.UUID(int=rng.getrandbits(128))),
                    "undone_at": DAY_ONE if n % 97 == 0 else None,
                }
                for n in range(CHECKINS)
            ],
        )
        pairs: set[tuple[int, int]] = set()
        while len(pairs) < CONNECTIONS:
            owner = people[min(int(rng.paretovariate(0.8)), ATTENDEES) - 1]
            other = rng.choice(people)
            if owner != other:
                pairs.add((owner, other))
        rows = []
        for owner, other in pairs:
            met = _moment(rng)
            rows.append(
                {
                    "event_id": event_id,
                    "owner_id": owner,
                    "other_id": other,
                    "first_met_at": met,
                    "last_met_at": met,
                    "scan_count": 1,
                    "note": "private",
                    "removed_at": met if rng.random() < 0.01 else None,
                }
            )
        await session.execute(insert(Connection), rows)
        account = Account(email="organizer@example.org", language="en")
        session.add(account)
        await session.flush()
        session.add(EventRole(event_id=event_id, account_id=account.id, role="organizer"))
        cookie = await start_login_session(session, settings, account)
    await engine.dispose()
    return settings, cookie, event_id


async def bench_dashboard() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        settings, cookie, event_id = await prepare(Path(folder), f"http://127.0.0.1:{port}")
        reader = create_engine(settings, True)
        wall: list[float] = []
        cpu: list[float] = []
        async with transaction(session_factory(reader)) as session:
            event = await session.get(Event, event_id)
            assert event is not None
            await build_dashboard(session, event, "en")
            for _ in range(REPEAT):
                start, used = time.perf_counter(), time.process_time()
                figures = await build_dashboard(session, event, "en")
                wall.append(time.perf_counter() - start)
                cpu.append(time.process_time() - used)
        await reader.dispose()
        request: list[float] = []
        async with (
            serving(create_app(settings), port),
            httpx.AsyncClient(
                base_url=settings.base_url, cookies={SESSION_COOKIE: cookie}, timeout=120
            ) as client,
        ):
            for _ in range(REPEAT):
                start = time.perf_counter()
                response = await client.get("/api/events/bench/dashboard")
                request.append(time.perf_counter() - start)
                assert response.status_code == 200, response.text
    return {
        "attendees": ATTENDEES,
        "checkins": CHECKINS,
        "connections": CONNECTIONS,
        "server_cpu_ms": round(statistics.median(cpu) * 1000, 1),
        "server_wall_ms": round(statistics.median(wall) * 1000, 1),
        "request_ms": round(statistics.median(request) * 1000, 1),
        "bytes": len(response.content),
        "checked_in": figures.checked_in,
        "hours": len(figures.networking.connections_per_hour),
    }


if __name__ == "__main__":
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(json.dumps(asyncio.run(bench_dashboard())))
