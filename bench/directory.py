"""The offline directory over HTTP on SQLite; `python -m bench.directory` prints one JSON line.

An event of 10,000 attendees, all with badges and offline cards, some sharing more fields; a
real uvicorn server in this process; each figure next to the old code path (every card sealed
again on every request, on the event loop, no validator) measured in the same run, with the same
pure sealing function:
- the first download (bytes, server time), and the build that happens once per event;
- an unchanged refresh (If-None-Match: a 304);
- a refresh after 10 people changed their card (PATCH /me, a write site) with ?since=V;
- /health p50/p99 while 50 phones refresh at once (clients in a process of their own).
Server time is the latency of one request at a time over loopback, the median of several.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from litestar import Response, get
from sqlalchemy import select

from api.app import create_app
from api.attendees.card import CARD_COLUMNS, card_of
from api.attendees.dependencies import AttendeeMember
from api.attendees.directory import (
    DIRECTORY_ALGORITHM,
    DIRECTORY_KEY_BYTES,
    _b64url,
    directory_salt,
    seal_card,
)
from api.attendees.schemas import DirectoryCard, DirectoryOut
from api.auth.service import start_login_session
from api.db import session_factory, transaction
from api.dependencies import SESSION_COOKIE, AppSettings, DbSession
from api.models import Account, Attendee, Badge
from bench.local import add_people_with_badges, csrf_token, free_port, serving, sqlite_with_event

ATTENDEES = 10_000
PHONES = 50
CHANGED = 10
BASELINE_PHONES = 4  # the old path costs ~0.5 s of loop per phone: 50 would stall a minute
REPEAT = 7
PATH = "/api/events/bench/directory"


@get("/bench/old-directory/{slug:str}", include_in_schema=False)
async def old_directory(
    db: DbSession, event_attendee: AttendeeMember, settings: AppSettings
) -> Response[DirectoryOut]:
    """The baseline: every card of the event read and sealed again on each request."""
    event, me = event_attendee.event, event_attendee.attendee
    salt = directory_salt(settings.secret_key, event.id)
    rows = await db.execute(
        select(Badge.token, *CARD_COLUMNS)
        .join(Attendee, Attendee.id == Badge.attendee_id)
        .where(
            Attendee.event_id == event.id,
            Badge.revoked_at.is_(None),
            Attendee.offline_card.is_(True),
        )
        .order_by(Attendee.id)
    )
    entries = [
        seal_card(salt, row.token, DirectoryCard(attendee=row.id, card=card_of(row)))
        for row in rows
    ]
    found = DirectoryOut(
        event=event.slug,
        me=me.id,
        algorithm=DIRECTORY_ALGORITHM,
        salt=_b64url(salt),
        key_bytes=DIRECTORY_KEY_BYTES,
        version=0,
        full=True,
        entries=entries,
        removed=[],
    )
    return Response(found, headers={"Cache-Control": "private, no-store"})


async def prepare(data_dir: Path, base_url: str) -> tuple[Any, list[str]]:
    """The event's people with badges (directory not yet built), and PHONES + CHANGED cookies."""
    settings, engine, event_id = await sqlite_with_event(data_dir, base_url)
    async with transaction(session_factory(engine)) as session:
        await add_people_with_badges(
            session,
            event_id,
            ATTENDEES,
            role=lambda i: "Engineer" if i % 3 else "Designer",
            interests=lambda i: ["Open data", f"Topic {i % 40}"],
            shared_fields=lambda i: ["role", "interests"] if i % 2 else [],
        )
        cookies = []
        for i in range(PHONES + CHANGED):
            account = Account(email=f"person{i}@example.org")
            session.add(account)
            await session.flush()
            cookies.append(await start_login_session(session, settings, account))
    await engine.dispose()
    return settings, cookies


def _request(method: str, path: str, port: int, cookie: str, csrf: str, **extra: str) -> bytes:
    body = extra.pop("body", "").encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    head += f"Cookie: {SESSION_COOKIE}={cookie}; csrftoken={csrf}\r\nx-csrftoken: {csrf}\r\n"
    for name, value in extra.items():
        head += f"{name.replace('_', '-')}: {value}\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, dict[str, str], bytes]:
    writer.write(request)
    status = int((await reader.readline()).split()[1])
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, value = line.decode().split(":", 1)
        headers[name.lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


async def timed(port: int, request: bytes, times: int = REPEAT) -> dict[str, Any]:
    """One request at a time on one connection: median latency, status and bytes of the last."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    samples = []
    try:
        for _ in range(times):
            start = time.perf_counter()
            status, headers, body = await _exchange(reader, writer, request)
            samples.append(time.perf_counter() - start)
    finally:
        writer.close()
    return {
        "status": status,
        "bytes": len(body),
        "ms": round(statistics.median(samples) * 1000, 2),
        "etag": headers.get("etag"),
        "body": body,
    }


def phones_at_once(port: int, requests: list[bytes], health: bytes) -> dict[str, Any]:
    """In a process of its own: every phone sends its request once, all at the same moment,
    while one more connection asks /health every 5 ms; latencies of both."""

    async def main() -> dict[str, Any]:
        done = asyncio.Event()
        health_ms: list[float] = []
        phone_ms: list[float] = []

        async def probe() -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            while not done.is_set():
                start = time.perf_counter()
                await _exchange(reader, writer, health)
                health_ms.append((time.perf_counter() - start) * 1000)
                await asyncio.sleep(0.005)
            writer.close()

        async def phone(request: bytes) -> int:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            start = time.perf_counter()
            status, _, body = await _exchange(reader, writer, request)
            phone_ms.append((time.perf_counter() - start) * 1000)
            writer.close()
            assert status in (200, 304), (status, body[:200])
            return len(body)

        prober = asyncio.create_task(probe())
        await asyncio.sleep(0.2)
        sizes = await asyncio.gather(*(phone(r) for r in requests))
        await asyncio.sleep(0.1)
        done.set()
        await prober
        ordered = sorted(health_ms)
        return {
            "phones": len(requests),
            "health_p50_ms": round(ordered[len(ordered) // 2], 1),
            "health_p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
            "health_max_ms": round(ordered[-1], 1),
            "slowest_phone_ms": round(max(phone_ms, default=0), 1),
            "bytes_each": max(sizes, default=0),
        }

    return asyncio.run(main())


async def bench_directory() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        settings, cookies = await prepare(Path(folder), f"http://127.0.0.1:{port}")
        app = create_app(settings)
        app.register(old_directory)
        async with serving(app, port):
            csrf = await csrf_token(port)
            health = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
            phone = cookies[0]

            def fetch(cookie: str = phone, path: str = PATH, **extra: str) -> bytes:
                return _request("GET", path, port, cookie, csrf, **extra)

            build = await timed(port, fetch(), times=1)  # seals every card, once per event
            first = await timed(port, fetch())
            old = await timed(port, fetch(path="/bench/old-directory/bench"), times=3)
            version = json.loads(first["body"])["version"]
            unchanged = await timed(port, fetch(If_None_Match=first["etag"]), times=21)
            assert unchanged["status"] == 304, unchanged
            for cookie in cookies[PHONES:]:
                edit = _request(
                    "PATCH",
                    "/api/events/bench/me",
                    port,
                    cookie,
                    csrf,
                    body=json.dumps({"organization": "Moved on", "shared_fields": ["role"]}),
                )
                assert (await timed(port, edit, times=1))["status"] == 200
            delta = await timed(port, fetch(path=f"{PATH}?since={version}"))
            answer = json.loads(delta["body"])
            assert (answer["full"], len(answer["entries"])) == (False, CHANGED), answer["full"]
            current = json.loads((await timed(port, fetch(), times=1))["body"])["version"]
            etags = {}
            for cookie in cookies[:PHONES]:
                etags[cookie] = (await timed(port, fetch(cookie), times=1))["etag"]
            loop = asyncio.get_running_loop()
            context = multiprocessing.get_context("spawn")
            with context.Pool(1) as pool:

                async def burst(requests: list[bytes]) -> dict[str, Any]:
                    result: dict[str, Any] = await loop.run_in_executor(
                        None, pool.apply, phones_at_once, (port, requests, health)
                    )
                    return result

                idle = await burst([])
                refresh_304 = await burst(
                    [fetch(c, If_None_Match=etags[c]) for c in cookies[:PHONES]]
                )
                refresh_delta = await burst(
                    [fetch(c, path=f"{PATH}?since={version}") for c in cookies[:PHONES]]
                )
                full = await burst([fetch(c) for c in cookies[:PHONES]])
                baseline = await burst(
                    [fetch(c, "/bench/old-directory/bench") for c in cookies[:BASELINE_PHONES]]
                )
    for figure in (build, first, old, unchanged, delta):
        del figure["body"], figure["etag"]
    return {
        "attendees": ATTENDEES,
        "first_build": build,
        "first_download": first,
        "old_every_request": old,
        "unchanged_refresh": unchanged,
        "after_changes": delta | {"changed": CHANGED, "since": version, "version": current},
        "delta_share_of_full": round(delta["bytes"] / first["bytes"], 4),
        "health_idle": idle,
        "health_phones_304": refresh_304,
        "health_phones_delta": refresh_delta,
        "health_phones_full": full,
        "health_phones_old": baseline,
    }


if __name__ == "__main__":
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(json.dumps(asyncio.run(bench_directory())))
