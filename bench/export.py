"""Attendance export over HTTP on SQLite: the check-ins list of 200,000 rows as CSV and XLSX.

`python -m bench.export` prepares a database (events of 20,000 and 200,000 counted check-ins,
10,000 attendees each, 20 sessions) and measures each case in a process of its own, so that each
peak RSS (the server and the client reading the response, interpreter included; VmHWM, see
peak_rss_mb) belongs to that case alone; it prints one JSON line. Cases:
- `stream`: GET /api/events/SLUG/attendance/checkins.csv, the streamed export;
- `baseline`: the same CSV made the load-everything way, in a route registered for the bench:
  every counted check-in read as ORM objects with its attendee (`.all()`), the whole file
  written in memory, then sent;
- `xlsx`: GET /api/events/SLUG/attendance.xlsx (both sheets: attendees, then check-ins).
Time to first byte is from sending the request to the first body byte, on a server that has
answered one request of the same kind (an empty export); the first data row is reported too (the
streamed CSV sends its header before reading any row). Peak RSS is also given as it stood before
the download, after start-up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from litestar import Response, get
from sqlalchemy import insert, select

from api.app import create_app
from api.attendees.dependencies import OrganizedEvent
from api.auth.service import start_login_session
from api.checkin.attendance import counts
from api.db import create_engine, session_factory, transaction
from api.dependencies import SESSION_COOKIE, CurrentAccount, DbSession
from api.exports.attendance import STAFF_METHODS, plan_export
from api.exports.filters import AttendanceFilters
from api.models import Account, Attendee, Checkin, Event, EventRole, EventSession
from api.settings import Settings, finalize
from api.spreadsheets.cells import Row
from api.spreadsheets.csv_stream import CsvStream
from bench.local import free_port, serving

SIZES = {"small": 20_000, "large": 200_000}
ATTENDEES = 10_000
SESSIONS = 20
ORGANIZER = "organizer@example.org"
START = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
INSERT_BATCH = 10_000


def settings_for(data_dir: Path, port: int = 8000) -> Settings:
    url = f"sqlite+aiosqlite:///{data_dir / 'bench.db'}"
    return finalize(
        Settings(
            database_url=url,
            data_dir=data_dir,
            secret_key="x" * 40,
            base_url=f"http://127.0.0.1:{port}",
        )
    )


async def prepare(data_dir: Path) -> str:
    """Both events with their attendees, sessions and check-ins; answer the organizer's cookie."""
    from api.migrate import upgrade_database

    settings = settings_for(data_dir)
    engine = create_engine(settings)
    await upgrade_database(engine)
    try:
        async with transaction(session_factory(engine)) as db:
            organizer = Account(email=ORGANIZER, language="en")
            db.add(organizer)
            await db.flush()
            for slug, rows in SIZES.items():
                await _add_event(db, slug, rows, organizer.id)
            cookie = await start_login_session(db, settings, organizer)
    finally:
        await engine.dispose()
    return cookie


async def _add_event(db: Any, slug: str, rows: int, organizer_id: int) -> None:
    event = Event(
        slug=slug,
        name=f"Bench {slug}",
        starts_on=date(2026, 3, 10),
        ends_on=date(2026, 3, 11),
        timezone="Europe/Madrid",
    )
    db.add(event)
    await db.flush()
    db.add(EventRole(event_id=event.id, account_id=organizer_id, role="organizer"))
    sessions = [
        EventSession(
            event_id=event.id,
            title=f"Session {n}: a talk with a fairly long title",
            room=f"Room {n % 5}",
            starts_at=START + timedelta(hours=n),
            ends_at=START + timedelta(hours=n + 1),
        )
        for n in range(SESSIONS)
    ]
    db.add_all(sessions)
    await db.flush()
    await db.execute(
        insert(Attendee),
        [
            {
                "event_id": event.id,
                "email": f"person{i}@example.org",
                "name": f"Persona Número {i} García",
                "organization": f"Organización {i % 50}",
                "ticket_type": "General" if i % 4 else "VIP",
            }
            for i in range(ATTENDEES)
        ],
    )
    people = list(await db.scalars(select(Attendee.id).where(Attendee.event_id == event.id)))
    methods = ("badge", "badge", "manual", "poster")
    for first in range(0, rows, INSERT_BATCH):
        await db.execute(
            insert(Checkin),
            [
                {
                    "event_id": event.id,
                    "attendee_id": people[n % ATTENDEES],
                    "session_id": sessions[n % SESSIONS].id if n % 3 else None,
                    "at": START + timedelta(seconds=n * 172_800 // rows),
                    "method": methods[n % 4],
                    "by_account_id": None if n % 4 == 3 else organizer_id,
                    "offline": n % 7 == 0,
                    "outcome": "already" if n % 11 == 0 else "checked_in",
                    "op_id": f"{slug}-{n}",
                }
                for n in range(first, min(first + INSERT_BATCH, rows))
            ],
        )


@get("/bench/load-all/{slug:str}", include_in_schema=False)
async def load_all_then_write(
    db: DbSession, event_organizer: OrganizedEvent, account: CurrentAccount
) -> Response[bytes]:
    """The baseline: every check-in loaded at once as ORM objects, then the whole file written."""
    plan = await plan_export(db, event_organizer.event, AttendanceFilters(), account.language)
    found = (
        await db.execute(
            select(Checkin, Attendee)
            .join(Attendee, Attendee.id == Checkin.attendee_id)
            .where(Checkin.event_id == plan.event_id, counts())
            .order_by(Checkin.at, Checkin.id)
        )
    ).all()
    rows: list[Row] = [plan.checkins_header()]
    for checkin, person in found:
        session = plan.sessions.get(checkin.session_id) if checkin.session_id else None
        rows.append(
            [
                person.name,
                person.email,
                session.title if session else plan.text("entrance"),
                session.room if session else None,
                plan.when(checkin.at),
                plan.text("by_staff" if checkin.method in STAFF_METHODS else "by_self"),
                plan.text("yes" if checkin.offline else "no"),
            ]
        )
    return Response(CsvStream().encode(rows), media_type="text/csv; charset=utf-8")


PATHS = {
    "stream": "/api/events/{slug}/attendance/checkins.csv",
    "baseline": "/bench/load-all/{slug}",
    "xlsx": "/api/events/{slug}/attendance.xlsx",
}


def peak_rss_mb() -> float:
    """This process's peak RSS since it started. Linux's VmHWM belongs to the address space that
    exec made; ru_maxrss would also count the parent's memory at fork (here the 136 MB of the
    process that prepared the database), hiding anything smaller."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(data_dir: Path, cookie: str, case: str, slug: str) -> dict[str, Any]:
    """One download over loopback: time to first byte and first row, rows per second, bytes."""
    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    port = free_port()
    app = create_app(settings_for(data_dir, port))
    app.register(load_all_then_write)
    url_root = f"http://127.0.0.1:{port}"
    url = f"{url_root}{PATHS[case].format(slug=slug)}"
    async with (
        serving(app, port),
        httpx.AsyncClient(cookies={SESSION_COOKIE: cookie}, timeout=600) as client,
    ):
        # A server in use has run these statements before: warm it up as a first request would
        # (an empty export: a day near the event with no check-ins); the baseline gets a
        # signed-in read.
        warm = f"{url_root}/api/me" if case == "baseline" else f"{url}?day=2026-03-05"
        assert (await client.get(warm)).is_success
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        first_byte = first_row = None
        size = lines = 0
        async with client.stream("GET", url) as response:
            assert response.status_code == 200, await response.aread()
            async for piece in response.aiter_raw():
                now = time.perf_counter()
                first_byte = first_byte or now
                size += len(piece)
                lines += piece.count(b"\n")  # a CRLF may be split between pieces
                if first_row is None and lines >= 2:
                    first_row = now
        total = time.perf_counter() - started
    assert first_byte is not None
    # The workbook holds the attendees sheet as well as the check-ins.
    rows = SIZES[slug] + ATTENDEES if case == "xlsx" else lines - 1
    if case != "xlsx":
        assert rows == SIZES[slug], (rows, SIZES[slug])
    return {
        "case": case,
        "rows": rows,
        "seconds": round(total, 3),
        "rows_per_s": round(rows / total),
        "ttfb_ms": round((first_byte - started) * 1000, 1),
        "first_row_ms": round(((first_row or first_byte) - started) * 1000, 1),
        "bytes": size,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_rss_before_mb": round(rss_before, 1),
    }


def run_case(data_dir: Path, cookie: str, case: str, slug: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.export", "case", str(data_dir), cookie, case, slug],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def bench_export() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="enlace-bench-") as folder:
        data_dir = Path(folder)
        began = time.perf_counter()
        cookie = asyncio.run(prepare(data_dir))
        prepared_s = time.perf_counter() - began
        results = {
            f"{case}_{slug}": run_case(data_dir, cookie, case, slug)
            for case in ("stream", "baseline", "xlsx")
            for slug in ("small", "large")
        }
    stream, baseline = results["stream_large"], results["baseline_large"]
    return {
        "prepare_s": round(prepared_s, 1),
        **results,
        "speedup": round(stream["rows_per_s"] / baseline["rows_per_s"], 2),
        "stream_rss_growth_mb": round(
            stream["peak_rss_mb"] - results["stream_small"]["peak_rss_mb"], 1
        ),
    }


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "case":
        _, _, folder, session_cookie, chosen, size_name = sys.argv
        print(json.dumps(asyncio.run(measure(Path(folder), session_cookie, chosen, size_name))))
    else:
        print(json.dumps(bench_export()))
