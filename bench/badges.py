"""Badge benchmarks: QR encode + PNG against `qrcode.make(url).save()`, and 10,000 badges to PDF.

`python -m bench.badges qr` and `python -m bench.badges pdf` each print one JSON line; the PDF run
is its own process so its peak memory is the renderer's alone.
"""

from __future__ import annotations

import io
import json
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import qrcode

from api.badges import qr, render, tokens

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


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "qr"
    print(json.dumps(bench_qr() if which == "qr" else bench_pdf()))
