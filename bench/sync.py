"""Outbox benchmarks on SQLite; `python -m bench.sync replay|ingest` each print one JSON line.

replay: 30,000 operations (20,000 scans of distinct badges, then 10,000 notes) from 100 people in
batches of 200, through the outbox the endpoint uses, then every batch again; operations per
second for the first pass and for the replay, and a check that each applied exactly once.

ingest: a real uvicorn server in this process; a client process keeps N connections busy, each
sending one scan per request (a one-operation batch, as a phone does after every scan) to
POST /api/sync, then the same load against a commit-per-scan endpoint registered on the same
server (one upsert and one commit per request, the usual request transaction). Throughput and
latency of both, measured in the same run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from litestar import post
from litestar.params import JSONBody
from sqlalchemy import func, select
from sqlalchemy.dialects import sqlite

from api.app import create_app
from api.auth.service import start_login_session
from api.badges.tokens import token_from_scan
from api.connections.operations import ConnectionKinds
from api.db import create_engine, session_factory, transaction
from api.dependencies import SESSION_COOKIE, CurrentAccount, DbSession
from api.models import Account, Attendee, Badge, Connection, SyncOperation, utcnow
from api.settings import Settings
from api.sync.engine import SyncEngine, SyncRequest
from api.sync.writers import GroupCommitWriter
from bench.local import add_people_with_badges, csrf_token, free_port, serving, sqlite_with_event

ATTENDEES = 20_000
SCANNERS = 100
BATCH = 200
CLIENTS = 32
INGEST_SECONDS = 6.0
WARMUP_SECONDS = 1.0
MET = datetime(2026, 3, 10, 10, 0, tzinfo=UTC).isoformat()


async def prepare(data_dir: Path, base_url: str) -> tuple[Settings, list[str], list[str]]:
    """A migrated database with one event of ATTENDEES people, all with badges; the badge
    tokens (in attendee order) and a session cookie for each of the first SCANNERS people."""
    settings, engine, event_id = await sqlite_with_event(data_dir, base_url)
    async with transaction(session_factory(engine)) as session:
        await add_people_with_badges(session, event_id, ATTENDEES)
        tokens = list(
            await session.scalars(
                select(Badge.token)
                .join(Attendee, Attendee.id == Badge.attendee_id)
                .order_by(Attendee.id)
            )
        )
        cookies = []
        for i in range(SCANNERS):
            account = Account(email=f"person{i}@example.org")
            session.add(account)
            await session.flush()
            cookies.append(await start_login_session(session, settings, account))
    await engine.dispose()
    return settings, tokens, cookies


def _other(index: int) -> int:
    """An attendee who is not one of the scanners."""
    return SCANNERS + index % (ATTENDEES - SCANNERS)


def operation(kind: str, **fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "kind": kind, "event": "bench", "at": MET, **fields}


async def bench_replay() -> dict[str, object]:
    """30,000 operations applied, then replayed, through the endpoint's outbox."""
    with tempfile.TemporaryDirectory() as folder:
        settings, tokens, cookies = await prepare(Path(folder), "http://127.0.0.1:8000")
        batches: list[tuple[str, list[dict[str, Any]]]] = []
        for scanner, cookie in enumerate(cookies):
            # 200 distinct people each (never oneself), then notes on half of them.
            targets = [tokens[_other(scanner * BATCH + k)] for k in range(BATCH)]
            batches.append((cookie, [operation("scan", scanned=t) for t in targets]))
        for scanner, cookie in enumerate(cookies):
            targets = [tokens[_other(scanner * BATCH + k)] for k in range(BATCH)]
            notes = [
                operation("note", scanned=t, text=f"Follow up about {t[:6]}", base_revision=0)
                for t in targets[::2]
            ]
            batches.append((cookie, notes))
        total = sum(len(ops) for _, ops in batches)
        outbox = GroupCommitWriter(SyncEngine([ConnectionKinds()]), settings.database_url)

        async def run_all(expected: set[str]) -> float:
            start = time.perf_counter()
            for cookie, ops in batches:
                results = await outbox.apply(SyncRequest(cookie, ops))
                reasons = {r.reason for r in results}
                assert reasons <= expected, reasons
            return time.perf_counter() - start

        first = await run_all({"created", "updated"})
        replay = await run_all({"duplicate"})
        engine = create_engine(settings)
        async with transaction(session_factory(engine)) as session:
            connections = await session.scalar(select(func.count()).select_from(Connection))
            scans = await session.scalar(select(func.sum(Connection.scan_count)))
            notes = await session.scalar(
                select(func.count()).select_from(Connection).where(Connection.note_revision == 1)
            )
            recorded = await session.scalar(select(func.count()).select_from(SyncOperation))
        await engine.dispose()
    exactly_once = (connections, scans, notes, recorded) == (
        SCANNERS * BATCH,
        SCANNERS * BATCH,
        SCANNERS * BATCH // 2,
        total,
    )
    return {
        "operations": total,
        "batch": BATCH,
        "first_s": round(first, 2),
        "first_ops_per_s": round(total / first),
        "replay_s": round(replay, 2),
        "replay_ops_per_s": round(total / replay),
        "exactly_once": exactly_once,
    }


class ScanIn(msgspec.Struct):
    event: str
    scanned: str


@post("/bench/commit-per-scan", status_code=200, include_in_schema=False)
async def commit_per_scan(
    data: JSONBody[ScanIn], db: DbSession, account: CurrentAccount
) -> dict[str, int]:
    """The baseline: one scan per request, one upsert, one commit (by the request transaction)."""
    token = token_from_scan(data.scanned)
    found = (
        await db.execute(
            select(Attendee.id, Attendee.event_id)
            .join(Badge, Badge.attendee_id == Attendee.id)
            .where(Badge.token == token)
        )
    ).first()
    assert found is not None
    me = await db.scalar(
        select(Attendee.id).where(
            Attendee.email == account.email, Attendee.event_id == found.event_id
        )
    )
    assert me is not None
    now = utcnow()
    upsert = sqlite.insert(Connection)
    statement = upsert.on_conflict_do_update(
        index_elements=["owner_id", "other_id", "event_id"],
        set_={"scan_count": Connection.scan_count + 1, "last_met_at": upsert.excluded.last_met_at},
    ).returning(Connection.id)
    connection_id = await db.scalar(
        statement,
        {
            "event_id": found.event_id,
            "owner_id": me,
            "other_id": found.id,
            "first_met_at": now,
            "last_met_at": now,
            "scan_count": 1,
            "note": "",
            "note_revision": 0,
            "tags": [],
            "created_at": now,
            "updated_at": now,
        },
    )
    return {"connection": int(connection_id or 0)}


def _request(path: str, port: int, cookie: str, csrf: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Cookie: {SESSION_COOKIE}={cookie}; csrftoken={csrf}\r\nx-csrftoken: {csrf}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _client(
    port: int, requests: list[bytes], until: float, warm_until: float, samples: list[float]
) -> int:
    """One keep-alive connection sending requests back to back; answers how many succeeded."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = 0
    try:
        while time.perf_counter() < until:
            start = time.perf_counter()
            writer.write(requests[sent % len(requests)])
            status = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length)
            assert status.split()[1] == b"200", (status, body[:300])
            if start >= warm_until:
                samples.append(time.perf_counter() - start)
            sent += 1
    finally:
        writer.close()
    return sent


def run_clients(port: int, per_client: Sequence[list[bytes]], seconds: float) -> list[float]:
    """In a process of its own, so the clients do not share the server's core: latencies."""

    async def main() -> list[float]:
        samples: list[float] = []
        warm_until = time.perf_counter() + WARMUP_SECONDS
        until = warm_until + seconds
        await asyncio.gather(
            *(_client(port, requests, until, warm_until, samples) for requests in per_client)
        )
        return samples

    return asyncio.run(main())


def _summary(samples: list[float], seconds: float) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "requests": len(ordered),
        "per_s": round(len(ordered) / seconds),
        "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
    }


async def compare_ingest(
    app: Any,
    port: int,
    cookies: list[str],
    sync_body: Callable[[str], dict[str, Any]],
    baseline: tuple[str, Callable[[str], dict[str, Any]]],
    targets: Callable[[int], list[str]],
) -> dict[str, object]:
    """Serve `app` and load it from CLIENTS connections, first with one request per target to
    the baseline endpoint (`baseline`: its path and body), then to POST /api/sync (one
    operation per request, `sync_body`); each client signs in with a cookie of its own."""
    async with serving(app, port):
        csrf = await csrf_token(port)
        baseline_path, baseline_body = baseline
        sync_requests = [
            [
                _request(
                    "/api/sync",
                    port,
                    cookies[client],
                    csrf,
                    json.dumps({"operations": [sync_body(t)]}).encode(),
                )
                for t in targets(client)
            ]
            for client in range(CLIENTS)
        ]
        baseline_requests = [
            [
                _request(
                    baseline_path,
                    port,
                    cookies[CLIENTS + client],
                    csrf,
                    json.dumps(baseline_body(t)).encode(),
                )
                for t in targets(client)
            ]
            for client in range(CLIENTS)
        ]
        loop = asyncio.get_running_loop()
        context = multiprocessing.get_context("spawn")
        results = {}
        with context.Pool(1) as pool:
            for label, requests in (("baseline", baseline_requests), ("sync", sync_requests)):
                samples = await loop.run_in_executor(
                    None, pool.apply, run_clients, (port, requests, INGEST_SECONDS)
                )
                results[label] = _summary(samples, INGEST_SECONDS)
    return {
        "clients": CLIENTS,
        "seconds": INGEST_SECONDS,
        "baseline": results["baseline"],
        "sync": results["sync"],
        "speedup": round(results["sync"]["per_s"] / results["baseline"]["per_s"], 2),
    }


async def bench_ingest() -> dict[str, object]:
    """One scan per request to /api/sync (grouped commits) against commit-per-scan."""
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        settings, tokens, cookies = await prepare(Path(folder), base_url)
        # Each client sends far more than a phone does; the per-person limit stays in the path
        # (its cost is measured) but high enough not to refuse the load.
        app = create_app(msgspec.structs.replace(settings, sync_rate_per_minute=10_000_000))
        app.register(commit_per_scan)
        per_request = 2000  # distinct scans per client before it cycles (then they merge)

        def targets(client: int) -> list[str]:
            return [tokens[_other(client * 531 + k)] for k in range(per_request)]

        return await compare_ingest(
            app,
            port,
            cookies,
            lambda token: operation("scan", scanned=token),
            ("/bench/commit-per-scan", lambda token: {"event": "bench", "scanned": token}),
            targets,
        )


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "replay"
    logging.getLogger("httpx").setLevel(logging.WARNING)
    bench = bench_ingest if which == "ingest" else bench_replay
    print(json.dumps(asyncio.run(bench())))
