"""Import a 20,000-row CSV into a fresh database, timing parse + save and peak memory.

Run one backend per process so peak memory (ru_maxrss) belongs to that run alone:
    python -m bench.import_attendees sqlite|postgresql [rows]
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import asyncpg

from api.db import create_engine, session_factory, transaction
from api.demo.seed import FIRST_NAMES, LAST_NAMES, ORGANIZATIONS, ROLES, VOCABULARY
from api.imports.service import import_attendees, parse_upload
from api.migrate import upgrade_database
from api.models import Event
from api.settings import Settings, finalize

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def make_csv(rows: int, seed: int = 7) -> bytes:
    """A ticketing-style export (Eventbrite columns) with varied names and interests."""
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["Order #", "First Name", "Last Name", "Email", "Company", "Job Title", "Interests"]
    )
    for index in range(rows):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        interests = "; ".join(v[1] for v in rng.sample(VOCABULARY, rng.randint(1, 4)))
        writer.writerow(
            [
                10_000 + index,
                first,
                last,
                f"person{index}@example.org",
                rng.choice(ORGANIZATIONS),
                rng.choice(ROLES),
                interests,
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


async def run(backend: str, rows: int) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix="enlace-bench-"))
    database = ""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{data_dir / 'bench.db'}"
    else:
        database = f"enlace_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(POSTGRES_ADMIN)
        await admin.execute(f'CREATE DATABASE "{database}"')
        await admin.close()
        url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
    settings = finalize(Settings(database_url=url, data_dir=data_dir, secret_key="x" * 40))
    engine = create_engine(settings)
    try:
        await upgrade_database(engine)
        factory = session_factory(engine)
        async with transaction(factory) as session:
            event = Event(
                slug="bench",
                name="Bench",
                starts_on=date(2026, 1, 1),
                ends_on=date(2026, 1, 2),
                timezone="UTC",
                languages=["es", "en"],
            )
            session.add(event)
        content = make_csv(rows)
        timings = {}
        runs = [
            ("first import", content),
            ("re-import (all unchanged)", content),
            ("re-import (changed details)", make_csv(rows, seed=8)),
        ]
        for label, content in runs:
            start = time.perf_counter()
            parsed = parse_upload(content, "export.csv", max_bytes=10**9, max_rows=10**6)
            parsed_at = time.perf_counter()
            async with transaction(factory) as session:
                report = await import_attendees(session, event, parsed, dry_run=False)
            done = time.perf_counter()
            timings[label] = {
                "parse_s": round(parsed_at - start, 3),
                "save_s": round(done - parsed_at, 3),
                "total_s": round(done - start, 3),
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
            }
    finally:
        await engine.dispose()
        if database:
            admin = await asyncpg.connect(POSTGRES_ADMIN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            await admin.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "backend": backend,
        "rows": rows,
        "file_mb": round(len(content) / 1e6, 2),
        "runs": timings,
        "peak_rss_mb": round(peak_mb, 1),
    }


if __name__ == "__main__":
    backend = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    print(json.dumps(asyncio.run(run(backend, rows))))
