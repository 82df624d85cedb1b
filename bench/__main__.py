"""Run every benchmark and compare it with its target; exit 1 when one is missed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
IMPORT_TARGET_S = 5.0
QR_SPEEDUP_TARGET = 4.0
PDF_MS_PER_BADGE_TARGET = 1.5
PDF_PEAK_MB_TARGET = 150
SERVING_P99_MS_TARGET = 100  # while a print run renders: the server keeps answering
STARTER_MS_TARGET = 1.0


def run_module(module: str, *args: str) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, "-m", module, *args], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return result


def badge_benchmarks() -> list[str]:
    failures = []
    code = run_module("bench.badges", "qr")
    verdict = "ok" if float(code["speedup"]) >= QR_SPEEDUP_TARGET else "MISSED"  # type: ignore[arg-type]
    print(
        f"QR encode + PNG · ours {code['ours_ms']:.2f} ms · qrcode.make().save() "
        f"{code['baseline_ms']:.2f} ms · {code['speedup']:.1f}× "
        f"(target ≥ {QR_SPEEDUP_TARGET}×) {verdict}"
    )
    if verdict != "ok":
        failures.append("QR speed-up")
    pdf = run_module("bench.badges", "pdf")
    per_badge, peak = float(pdf["ms_per_badge"]), float(pdf["peak_rss_mb"])  # type: ignore[arg-type]
    ok = per_badge <= PDF_MS_PER_BADGE_TARGET and peak <= PDF_PEAK_MB_TARGET
    print(
        f"badges to PDF · {pdf['badges']} badges in {pdf['total_s']:.1f} s · "
        f"{per_badge:.2f} ms/badge (target ≤ {PDF_MS_PER_BADGE_TARGET}) · "
        f"peak RSS {peak:.0f} MB (target ≤ {PDF_PEAK_MB_TARGET}) · "
        f"{pdf['file_mb']} MB file {'ok' if ok else 'MISSED'}"
    )
    if not ok:
        failures.append("badge PDF")
    serving = run_module("bench.badges", "serve")
    idle, busy = serving["idle"], serving["during_print"]
    assert isinstance(idle, dict) and isinstance(busy, dict)
    ok = busy["p99_ms"] <= SERVING_P99_MS_TARGET
    print(
        f"/health while {serving['badges']} badges render ({serving['render_s']:.1f} s) · "
        f"p50 {busy['p50_ms']:.1f} ms, p99 {busy['p99_ms']:.1f} ms (idle {idle['p50_ms']:.1f} / "
        f"{idle['p99_ms']:.1f} ms; target p99 ≤ {SERVING_P99_MS_TARGET} ms) "
        f"{'ok' if ok else 'MISSED'}"
    )
    if not ok:
        failures.append("serving during a print run")
    (RESULTS / "badges.json").write_text(
        json.dumps({"qr": code, "pdf": pdf, "serving": serving}, indent=2)
    )
    return failures


def starter_benchmark() -> list[str]:
    result = run_module("bench.starters")
    p99 = float(result["p99_ms"])  # type: ignore[arg-type]
    ok = p99 <= STARTER_MS_TARGET
    print(
        f"starters for one pair · {result['attendees']} attendees · "
        f"mean {result['mean_ms']:.3f} ms, p99 {p99:.3f} ms (target ≤ {STARTER_MS_TARGET} ms) · "
        f"index built once in "
        f"{result['index_build_s']:.2f} s {'ok' if ok else 'MISSED'}"
    )
    (RESULTS / "starters.json").write_text(json.dumps(result, indent=2))
    return [] if ok else ["starters"]


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    failures = []
    results = []
    for backend in ("sqlite", "postgresql"):
        result = run_module("bench.import_attendees", backend)
        results.append(result)
        runs = result["runs"]
        assert isinstance(runs, dict)
        for label, run in runs.items():
            verdict = "ok" if run["total_s"] <= IMPORT_TARGET_S else "MISSED"
            if verdict != "ok":
                failures.append(f"import {backend} {label}")
            print(
                f"import 20k rows · {backend:10} · {label:27} · parse {run['parse_s']:.2f} s"
                f" + save {run['save_s']:.2f} s = {run['total_s']:.2f} s"
                f" (target ≤ {IMPORT_TARGET_S} s) {verdict}"
            )
        print(f"import 20k rows · {backend:10} · peak RSS {result['peak_rss_mb']} MB")
    (RESULTS / "import.json").write_text(json.dumps(results, indent=2))
    failures += badge_benchmarks()
    failures += starter_benchmark()
    if failures:
        print("Missed targets: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
