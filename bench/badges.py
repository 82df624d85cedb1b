"""Badge benchmarks: QR encode + PNG against `qrcode.make(url).save()`, and 10,000 badges to PDF.

`python -m bench.badges qr|pdf|serve` each print one JSON line; the PDF run is its own process so
its peak memory is the renderer's alone. `serve` measures how a server keeps answering while a
print run renders in its background.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import qrcode

from api.badges import qr, render, tokens
from bench.local import free_port, serving, sqlite_with_event

BASE_URL = "https://enlace.example.org"
QR_CODES = 400
PDF_BADGES = 10_000
FIRST = [
    "María José",
    "Ana",
    "Lucía",
    "Carlos",
    "Wei",
    "Fatima",
    "Olivia",
    "Liam",
    "Zoë",
    "محمد",
    "王",
]
LAST = ["García Fernández", "Smith", "Rodríguez", "Zhang", "Johnson", "Müller", "عبد الله", "小明"]
ORGS = [
    "Universidad de Buenos Aires",
    "Acme Corp",
    "",
    "Instituto Nacional de Tecnología",
    "清华大学",
]
ROLES = ["Engineer", "Investigadora", "", "Chief Executive Officer", "باحث"]


def urls(count: int) -> list[str]:
    return [tokens.badge_url(BASE_URL, tokens.new_token()) for _ in range(count)]


def bench_qr() -> dict[str, object]:
    """Per code: ours (encode + PNG) and the library's one-liner, on the same fresh URLs."""
    ours_urls, baseline_urls = urls(QR_CODES), urls(QR_CODES)
    qr.to_png(qr.encode(ours_urls[0]))  # the first code of a length picks version and mask
    start = time.perf_counter()
    for url in ours_urls:
        qr.to_png(qr.encode(url))
    ours = (time.perf_counter() - start) / QR_CODES
    start = time.perf_counter()
    for url in baseline_urls:
        qrcode.make(url).save(io.BytesIO())
    baseline = (time.perf_counter() - start) / QR_CODES
    return {"ours_ms": ours * 1000, "baseline_ms": baseline * 1000, "speedup": baseline / ours}


def people(count: int) -> Iterator[render.BadgeData]:
    rng = random.Random(7)
    for _ in range(count):
        token = tokens.new_token()
        yield render.BadgeData(
            name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            organization=rng.choice(ORGS),
            role=rng.choice(ROLES),
            event_name="Enlace Demo 2026",
            token=token,
            url=tokens.badge_url(BASE_URL, token),
        )


def bench_pdf() -> dict[str, object]:
    """10,000 badges on A4 sheets, streamed to a file; time per badge and peak RSS."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "badges.pdf"
        start = time.perf_counter()
        with path.open("wb") as out:
            count = render.write_badge_sheets(people(PDF_BADGES), render.LAYOUTS["a4"], out)
        elapsed = time.perf_counter() - start
        size = path.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "badges": count,
        "total_s": elapsed,
        "ms_per_badge": elapsed / count * 1000,
        "peak_rss_mb": round(peak),
        "file_mb": round(size / 1e6, 1),
    }


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "requests": len(ordered),
    }


async def _health_latencies(client: httpx.AsyncClient, until: Callable[[], bool]) -> list[float]:
    samples = []
    while not until():
        start = time.perf_counter()
        response = await client.get("/health")
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200
    return samples


async def bench_serving_during_a_print_run() -> dict[str, object]:
    """/health latency in the same server process, idle and while 10,000 badges are rendered."""
    from api.app import create_app
    from api.attendees.search import attendee_filter
    from api.badges import jobs
    from api.badges.service import badges_to_print
    from api.db import session_factory, transaction
    from api.imports.service import import_attendees, parse_upload
    from api.models import Event
    from bench.import_attendees import make_csv

    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        settings, engine, event_id = await sqlite_with_event(data_dir, base_url)
        factory = session_factory(engine)
        async with transaction(factory) as session:
            event = await session.get_one(Event, event_id)
            parsed = parse_upload(make_csv(PDF_BADGES), "x.csv", max_bytes=10**9, max_rows=10**6)
            await import_attendees(session, event, parsed, dry_run=False)
            badges = await badges_to_print(session, event, BASE_URL, attendee_filter(event, ""))
            job = await jobs.create_job(session, event, None, "a4", len(badges))
        # A real server on this event loop, as `enlace serve` runs it, and a real HTTP client.
        async with (
            serving(create_app(settings), port),
            httpx.AsyncClient(base_url=base_url) as client,
        ):
            idle_until = time.perf_counter() + 2
            idle = await _health_latencies(client, lambda: time.perf_counter() > idle_until)
            start = time.perf_counter()
            task = asyncio.create_task(
                jobs.run_job(factory, data_dir, job.id, "a4", "Bench 2026", badges)
            )
            busy = await _health_latencies(client, task.done)
            await task
            elapsed = time.perf_counter() - start
        await engine.dispose()
    return {
        "badges": len(badges),
        "render_s": elapsed,
        "idle": _percentiles(idle),
        "during_print": _percentiles(busy),
    }


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "qr"
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if which == "serve":
        print(json.dumps(asyncio.run(bench_serving_during_a_print_run())))
    else:
        print(json.dumps(bench_qr() if which == "qr" else bench_pdf()))
