"""Check-in ingest on SQLite: `python -m bench.checkin` prints one JSON line.

A real uvicorn server in this process; a client process keeps N connections busy, each a staff
phone sending one check-in per request (a one-operation batch, as the check-in screen does after
every scan) to POST /api/sync, then the same load against a commit-per-check-in endpoint
registered on the same server (the badge read, one insert and one commit per request, the usual
request transaction). Throughput and latency of both, measured in the same run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import uuid
from pathlib import Path
from typing import Any

import msgspec
from litestar import post
from litestar.params import JSONBody
from sqlalchemy import select

from api.app import create_app
from api.badges.tokens import token_from_scan
from api.db import create_engine, session_factory, transaction
from api.dependencies import CurrentAccount, DbSession
from api.models import Account, Badge, Checkin, EventRole, utcnow
from bench.local import free_port
from bench.sync import CLIENTS, MET, compare_ingest, prepare


class CheckinIn(msgspec.Struct):
    event: str
    scanned: str


@post("/bench/commit-per-checkin", status_code=200, include_in_schema=False)
async def commit_per_checkin(
    data: JSONBody[CheckinIn], db: DbSession, account: CurrentAccount
) -> dict[str, int]:
    """The baseline: one check-in per request, one insert, one commit (by the request
    transaction)."""
    token = token_from_scan(data.scanned)
    found = (
        await db.execute(select(Badge.attendee_id, Badge.event_id).where(Badge.token == token))
    ).first()
    assert found is not None
    now = utcnow()
    row = Checkin(
        event_id=found.event_id,
        attendee_id=found.attendee_id,
        at=now,
        method="badge",
        by_account_id=account.id,
        outcome="checked_in",
        op_id=str(uuid.uuid4()),
        recorded_at=now,
    )
    db.add(row)
    await db.flush()
    return {"checkin": row.id}


async def bench_checkin_ingest() -> dict[str, object]:
    """One check-in per request to /api/sync (grouped commits) against commit-per-check-in."""
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        settings, tokens, cookies = await prepare(Path(folder), base_url)
        engine = create_engine(settings)
        async with transaction(session_factory(engine)) as session:
            # The phones that send are check-in staff of the event.
            staff = await session.scalars(
                select(Account.id).where(Account.email.like("person%@example.org"))
            )
            event_id = await session.scalar(select(Badge.event_id).limit(1))
            for account_id in staff:
                session.add(EventRole(event_id=event_id, account_id=account_id, role="staff"))
        await engine.dispose()
        app = create_app(msgspec.structs.replace(settings, sync_rate_per_minute=10_000_000))
        app.register(commit_per_checkin)
        per_client = 2000  # distinct people per phone before it cycles (then: already)

        def targets(client: int) -> list[str]:
            return [tokens[(client * 617 + k) % len(tokens)] for k in range(per_client)]

        def checkin(token: str) -> dict[str, Any]:
            operation = {"id": str(uuid.uuid4()), "kind": "checkin", "event": "bench", "at": MET}
            return operation | {"place": "entrance", "scanned": token}

        return await compare_ingest(
            app,
            port,
            cookies,
            checkin,
            ("/bench/commit-per-checkin", lambda token: {"event": "bench", "scanned": token}),
            targets,
        ) | {"staff_phones": CLIENTS}


if __name__ == "__main__":
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(json.dumps(asyncio.run(bench_checkin_ingest())))
