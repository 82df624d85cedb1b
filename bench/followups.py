"""Every attendee's follow-up list for a whole event, as the digest needs it, on SQLite.

`python -m bench.followups` prepares an event of 10,000 attendees and 200,000 connections (20
per attendee, a fifth with a note, a tenth with a follow-up row, interests drawn from a skewed
vocabulary, languages mixed) and measures each case in a process of its own, so each peak RSS
(VmHWM) belongs to that case alone; it prints one JSON line. Cases, on a day when reminders are
due (the day the share reminder falls):
- `batch`: `api.followups.service.followups_for_event`, the whole event in two queries;
- `baseline`: the attendees read once, then one query per attendee for their connections
  (mutual as a correlated EXISTS), each entry built by the same code.
Both build every entry (card, status, reminders, draft; no starters, as the digest has none),
and the outputs are compared for a sample of attendees.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, exists, insert, select
from sqlalchemy.orm import aliased

from api.attendees.card import card_of
from api.db import create_engine, session_factory, transaction
from api.followups.schemas import FollowupOut
from api.followups.service import (
    PERSON_COLUMNS,
    EventFacts,
    OtherAccount,
    _entry,
    _language,
    _links,
    followups_for_event,
    recipient_of,
    viewer_of,
)
from api.models import Account, Attendee, Connection, Event, Followup
from api.settings import Settings, finalize
from bench.export import peak_rss_mb

ATTENDEES = 10_000
PER_ATTENDEE = 20
SLUG = "bench-followups"
ENDS = date(2026, 3, 11)
TODAY = date(2026, 4, 10)  # the share reminder falls due
MET = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
INSERT_BATCH = 20_000
WORDS = [
    "datos abiertos",
    "machine learning",
    "Python",
    "cartografía",
    "energía",
    "salud pública",
    "educación",
    "финансы",
    "人工智能",
    "الطاقة",
    "clima",
    "movilidad",
    "agua",
    "diseño",
] + [f"tema {n}" for n in range(200)]


def settings_for(data_dir: Path) -> Settings:
    return finalize(
        Settings(
            database_url=f"sqlite+aiosqlite:///{data_dir / 'bench.db'}",
            data_dir=data_dir,
            secret_key="x" * 40,
            base_url="http://127.0.0.1:8000",
        )
    )


def _terms(rng: random.Random, count: int) -> list[str]:
    # Skewed: the first words are held by many people, the long tail by few.
    return list(
        dict.fromkeys(WORDS[int(rng.paretovariate(1.2)) % len(WORDS)] for _ in range(count))
    )


async def prepare(data_dir: Path) -> None:
    from api.migrate import upgrade_database

    rng = random.Random(10)
    engine = create_engine(settings_for(data_dir))
    await upgrade_database(engine)
    try:
        async with transaction(session_factory(engine)) as db:
            event = Event(
                slug=SLUG,
                name="Congreso de Bench",
                starts_on=date(2026, 3, 10),
                ends_on=ENDS,
                timezone="Europe/Madrid",
            )
            db.add(event)
            await db.flush()
            languages = ("es", "en", "")
            shares: tuple[list[str], ...] = (
                ["interests"],
                ["email", "interests", "can_help_with"],
                [],
                ["phone"],
            )
            await db.execute(
                insert(Attendee),
                [
                    {
                        "event_id": event.id,
                        "email": f"person{i}@example.org",
                        "name": f"Persona Número {i} Núñez",
                        "organization": f"Organización {i % 300}",
                        "language": languages[i % 3],
                        "phone": f"+34 600 {i:06d}",
                        "interests": _terms(rng, 3),
                        "looking_for": _terms(rng, 1),
                        "can_help_with": _terms(rng, 1),
                        "shared_fields": shares[i % 4],
                        "reminders_off": i % 50 == 0,
                    }
                    for i in range(ATTENDEES)
                ],
            )
            await db.execute(
                insert(Account),
                [
                    {"email": f"person{i}@example.org", "language": ("en", "es")[i % 2]}
                    for i in range(0, ATTENDEES, 2)
                ],
            )
            people = list(
                await db.scalars(select(Attendee.id).where(Attendee.event_id == event.id))
            )
            rows = []
            for n, owner in enumerate(people):
                others = rng.sample(people, PER_ATTENDEE + 1)
                for k, other in enumerate([p for p in others if p != owner][:PER_ATTENDEE]):
                    met = MET + timedelta(seconds=rng.randrange(2 * 86_400))
                    rows.append(
                        {
                            "event_id": event.id,
                            "owner_id": owner,
                            "other_id": other,
                            "first_met_at": met,
                            "last_met_at": met,
                            "scan_count": 1 + (k % 3 == 0),
                            "note": (
                                f"Habló de {WORDS[k % 14]}, con ideas; enviarle el "
                                "enlace.\nOtra línea"
                                if (n + k) % 5 == 0
                                else ""
                            ),
                            "tags": ["evento"] if k % 4 == 0 else [],
                        }
                    )
            for first in range(0, len(rows), INSERT_BATCH):
                await db.execute(insert(Connection), rows[first : first + INSERT_BATCH])
            ids = list(
                await db.scalars(select(Connection.id).where(Connection.event_id == event.id))
            )
            await db.execute(
                insert(Followup),
                [
                    {
                        "connection_id": cid,
                        "done_at": MET + timedelta(days=3) if j % 2 else None,
                        "snoozed_until": None if j % 2 else date(2026, 4, 20),
                        "reminders_off": False,
                        "reminder_dates": {"thank_you": "2026-03-20"} if j % 3 == 0 else {},
                        "changed_at": MET + timedelta(days=3),
                        "changed_parts": {"status": (MET + timedelta(days=3)).isoformat()},
                    }
                    for j, cid in enumerate(ids[::10])
                ],
            )
    finally:
        await engine.dispose()


async def baseline(db: Any, event: Event) -> dict[int, list[FollowupOut]]:
    """One query per attendee: their connections, each built as the batch builds it."""
    people = await db.execute(
        select(Attendee, Account.language)
        .outerjoin(Account, Account.email == Attendee.email)
        .where(Attendee.event_id == event.id)
    )
    back = aliased(Connection)
    mutual = exists().where(
        and_(
            back.owner_id == Connection.other_id,
            back.other_id == Connection.owner_id,
            back.event_id == Connection.event_id,
            back.removed_at.is_(None),
        )
    )
    # The query of one attendee's list (`followup_list`), with whether they connected back.
    query = (
        _links()
        .add_columns(*PERSON_COLUMNS, mutual.label("mutual"))
        .join(Attendee, Attendee.id == Connection.other_id)
        .outerjoin(OtherAccount, OtherAccount.email == Attendee.email)
        .order_by(Connection.last_met_at.desc(), Connection.id.desc())
    )
    facts = EventFacts.of(event)
    # On the connection, as the batch reads: the difference measured is the number of queries.
    connection = await db.connection()
    found: dict[int, list[FollowupOut]] = {}
    for me, language in people:
        viewer = viewer_of(me, language)
        rows = await connection.execute(
            query.where(Connection.event_id == event.id, Connection.owner_id == me.id)
        )
        items = []
        for row in rows:
            card = card_of(row)
            recipient = recipient_of(card, _language(row))
            items.append(_entry(row, viewer, facts, TODAY, bool(row.mutual), card, recipient))
        if items:
            found[me.id] = items
    return found


async def measure(data_dir: Path, case: str) -> dict[str, Any]:
    engine = create_engine(settings_for(data_dir))
    try:
        async with transaction(session_factory(engine)) as db:
            event = await db.scalar(select(Event).where(Event.slug == SLUG))
            assert event is not None
            rss_before = peak_rss_mb()
            started, cpu = time.perf_counter(), time.process_time()
            if case == "batch":
                lists = await followups_for_event(db, event, TODAY)
            else:
                lists = await baseline(db, event)
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
    finally:
        await engine.dispose()
    items = sum(len(found) for found in lists.values())
    due = sum(
        1 for found in lists.values() for item in found if any(r.due_now for r in item.reminders)
    )
    sample = {str(k): [item.draft.body for item in lists[k]] for k in sorted(lists)[::997]}
    return {
        "case": case,
        "attendees": len(lists),
        "items": items,
        "items_with_due_reminders": due,
        "seconds": round(seconds, 2),
        "cpu_s": round(cpu, 2),
        "load_average": os.getloadavg()[0],
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_rss_before_mb": round(rss_before, 1),
        "sample": sample,
    }


def run_case(data_dir: Path, case: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, "-m", "bench.followups", "case", str(data_dir), case],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def bench_followups() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="enlace-bench-") as folder:
        data_dir = Path(folder)
        began = time.perf_counter()
        asyncio.run(prepare(data_dir))
        prepared_s = time.perf_counter() - began
        batch = run_case(data_dir, "batch")
        base = run_case(data_dir, "baseline")
    same = batch.pop("sample") == base.pop("sample")
    assert batch["items"] == base["items"] == ATTENDEES * PER_ATTENDEE
    return {
        "attendees": ATTENDEES,
        "connections": ATTENDEES * PER_ATTENDEE,
        "prepare_s": round(prepared_s, 1),
        "batch": batch,
        "baseline": base,
        "same_output": same,
        "speedup": round(base["seconds"] / batch["seconds"], 2),
    }


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "case":
        print(json.dumps(asyncio.run(measure(Path(sys.argv[2]), sys.argv[3]))))
    else:
        print(json.dumps(bench_followups()))
