"""Run every benchmark and compare it with its target; exit 1 when one is missed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
IMPORT_TARGET_S = 5.0
QR_SPEEDUP_TARGET = 4.0
PDF_MS_PER_BADGE_TARGET = 1.5
PDF_PEAK_MB_TARGET = 150
SERVING_P99_MS_TARGET = 100  # while a print run renders: the server keeps answering
OUTBOX_OPS_PER_S_TARGET = 10_000  # applied exactly once (first pass and replay)
INGEST_SPEEDUP_TARGET = 6.0  # one scan per request, against commit-per-scan in the same run
INGEST_P99_MS_TARGET = 60
STARTER_MS_TARGET = 1.0
OFFLINE_CARD_MS_TARGET = 100  # a badge opened offline, 10,000 cards on the phone: card + starters
DIRECTORY_REFRESH_MS_TARGET = 5.0  # an unchanged refresh: a 304
DIRECTORY_DELTA_SHARE_TARGET = 0.02  # a refresh after 10 changes, against the whole directory
DIRECTORY_HEALTH_P99_MS_TARGET = 100  # while 50 phones refresh at once
CHECKIN_INGEST_SPEEDUP_TARGET = 6.0  # one check-in per request, against commit-per-check-in
DASHBOARD_SERVER_MS_TARGET = 300  # 10,000 attendees, 200,000 check-ins and connections
EXPORT_SPEEDUP_TARGET = 2.0  # streamed CSV rows/s, against load-everything-then-write
EXPORT_TTFB_MS_TARGET = 50
MAIL_SPEEDUP_TARGET = 1.5  # digests/s through SMTP, against a connection and commit per message
DIGESTS_SECONDS_TARGET = 10.0  # queueing every digest of 10,000 attendees, 200,000 connections
DIGESTS_SPEEDUP_TARGET = 5.0  # against a query per attendee and an insert per digest
EXPORT_RSS_GROWTH_MB_TARGET = 16  # peak RSS at 200,000 rows against 20,000: flat, allocator noise
FOLLOWUPS_SPEEDUP_TARGET = 5.0  # every list of an event at once, against one query per attendee
FOLLOWUPS_SECONDS_TARGET = 10.0  # 10,000 attendees, 200,000 connections


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


def offline_card_benchmark() -> list[str]:
    result = run_module("bench.offline_card")
    offline = float(result["offline_ms"])  # type: ignore[arg-type]
    ok = offline <= OFFLINE_CARD_MS_TARGET
    print(
        f"badge opened offline, {result['directory_entries']} cards on the phone, Chromium · "
        f"decoded QR to card and starters on screen: median {offline:.0f} ms of {result['badges']} "
        f"(target ≤ {OFFLINE_CARD_MS_TARGET} ms) · the same online {result['online_ms']:.0f} ms "
        f"({result['offline_vs_online']:.2f}×) · directory lookup {result['lookup_ms']:.1f} ms · "
        f"starters alone {result['starters_ms']:.3f} ms {'ok' if ok else 'MISSED'}"
    )
    (RESULTS / "offline_card.json").write_text(json.dumps(result, indent=2))
    return [] if ok else ["badge opened offline"]


def sync_benchmarks() -> list[str]:
    failures = []
    replay = run_module("bench.sync", "replay")
    first, again = int(replay["first_ops_per_s"]), int(replay["replay_ops_per_s"])  # type: ignore[call-overload]
    ok = min(first, again) >= OUTBOX_OPS_PER_S_TARGET and replay["exactly_once"] is True
    print(
        f"outbox replay · {replay['operations']} operations in batches of {replay['batch']} · "
        f"first {first} ops/s, replay {again} ops/s (target ≥ {OUTBOX_OPS_PER_S_TARGET}) · "
        f"exactly once {replay['exactly_once']} {'ok' if ok else 'MISSED'}"
    )
    if not ok:
        failures.append("outbox replay")
    ingest = run_module("bench.sync", "ingest")
    sync, baseline = ingest["sync"], ingest["baseline"]
    assert isinstance(sync, dict) and isinstance(baseline, dict)
    speedup = float(ingest["speedup"])  # type: ignore[arg-type]
    ok = speedup >= INGEST_SPEEDUP_TARGET and sync["p99_ms"] <= INGEST_P99_MS_TARGET
    print(
        f"scan ingest over HTTP (SQLite, {ingest['clients']} clients, one scan per request) · "
        f"/api/sync {sync['per_s']}/s p50 {sync['p50_ms']} ms p99 {sync['p99_ms']} ms · "
        f"commit-per-scan {baseline['per_s']}/s p99 {baseline['p99_ms']} ms · {speedup:.1f}× "
        f"(target ≥ {INGEST_SPEEDUP_TARGET}×, p99 ≤ {INGEST_P99_MS_TARGET} ms) "
        f"{'ok' if ok else 'MISSED'}"
    )
    if not ok:
        failures.append("scan ingest")
    (RESULTS / "sync.json").write_text(json.dumps({"replay": replay, "ingest": ingest}, indent=2))
    return failures


def directory_benchmark() -> list[str]:
    result: dict[str, Any] = run_module("bench.directory")
    first, old = result["first_download"], result["old_every_request"]
    unchanged, delta = result["unchanged_refresh"], result["after_changes"]
    during, baseline = result["health_phones_304"], result["health_phones_old"]
    share = float(result["delta_share_of_full"])
    checks = {
        "unchanged refresh": unchanged["status"] == 304
        and unchanged["ms"] <= DIRECTORY_REFRESH_MS_TARGET,
        "directory delta": share <= DIRECTORY_DELTA_SHARE_TARGET,
        "health during refreshes": during["health_p99_ms"] <= DIRECTORY_HEALTH_P99_MS_TARGET,
    }
    print(
        f"directory of {result['attendees']} · first download {first['bytes'] / 1e6:.2f} MB "
        f"{first['ms']} ms (old path {old['bytes'] / 1e6:.2f} MB {old['ms']} ms) · "
        f"unchanged refresh {unchanged['status']} {unchanged['ms']} ms (old path: the whole "
        f"directory again; target 304 ≤ {DIRECTORY_REFRESH_MS_TARGET} ms) · after "
        f"{delta['changed']} changes {delta['bytes']} bytes {delta['ms']} ms = {share:.2%} "
        f"(target ≤ {DIRECTORY_DELTA_SHARE_TARGET:.0%}) · /health p99 {during['health_p99_ms']} "
        f"ms while {during['phones']} phones refresh (old path, {baseline['phones']} phones: "
        f"{baseline['health_p99_ms']} ms; target ≤ {DIRECTORY_HEALTH_P99_MS_TARGET} ms) "
        f"{'ok' if all(checks.values()) else 'MISSED'}"
    )
    (RESULTS / "directory.json").write_text(json.dumps(result, indent=2))
    return [name for name, ok in checks.items() if not ok]


def checkin_benchmark() -> list[str]:
    ingest = run_module("bench.checkin")
    sync, baseline = ingest["sync"], ingest["baseline"]
    assert isinstance(sync, dict) and isinstance(baseline, dict)
    speedup = float(ingest["speedup"])  # type: ignore[arg-type]
    ok = speedup >= CHECKIN_INGEST_SPEEDUP_TARGET
    print(
        f"check-in ingest over HTTP (SQLite, {ingest['clients']} staff phones, one check-in per "
        f"request) · /api/sync {sync['per_s']}/s p50 {sync['p50_ms']} ms p99 {sync['p99_ms']} ms"
        f" · commit-per-check-in {baseline['per_s']}/s p99 {baseline['p99_ms']} ms · "
        f"{speedup:.1f}× (target ≥ {CHECKIN_INGEST_SPEEDUP_TARGET}×) {'ok' if ok else 'MISSED'}"
    )
    (RESULTS / "checkin.json").write_text(json.dumps(ingest, indent=2))
    return [] if ok else ["check-in ingest"]


def dashboard_benchmark() -> list[str]:
    result = run_module("bench.dashboard")
    cpu = float(result["server_cpu_ms"])  # type: ignore[arg-type]
    ok = cpu <= DASHBOARD_SERVER_MS_TARGET
    print(
        f"dashboard · {result['attendees']} attendees, {result['checkins']} check-ins, "
        f"{result['connections']} connections (SQLite) · server {cpu:.0f} ms CPU, "
        f"{result['server_wall_ms']:.0f} ms wall (target ≤ {DASHBOARD_SERVER_MS_TARGET} ms) · "
        f"request {result['request_ms']:.0f} ms, {result['bytes']} bytes {'ok' if ok else 'MISSED'}"
    )
    (RESULTS / "dashboard.json").write_text(json.dumps(result, indent=2))
    return [] if ok else ["dashboard"]


def export_benchmark() -> list[str]:
    result: dict[str, Any] = run_module("bench.export")
    small, large = result["stream_small"], result["stream_large"]
    base_small, base_large = result["baseline_small"], result["baseline_large"]
    xlsx_small, xlsx_large = result["xlsx_small"], result["xlsx_large"]
    checks = {
        "export speed-up": result["speedup"] >= EXPORT_SPEEDUP_TARGET,
        "export first byte": large["ttfb_ms"] <= EXPORT_TTFB_MS_TARGET,
        "export memory": result["stream_rss_growth_mb"] <= EXPORT_RSS_GROWTH_MB_TARGET,
    }
    print(
        f"attendance export, {large['rows']:,} check-ins as CSV (SQLite, over HTTP) · streamed "
        f"{large['rows_per_s']:,} rows/s, first byte {large['ttfb_ms']} ms (first row "
        f"{large['first_row_ms']} ms) · load-everything-then-write {base_large['rows_per_s']:,} "
        f"rows/s, first byte {base_large['ttfb_ms']:.0f} ms · {result['speedup']}× (target ≥ "
        f"{EXPORT_SPEEDUP_TARGET}×, first byte ≤ {EXPORT_TTFB_MS_TARGET} ms) · peak RSS "
        f"{small['peak_rss_mb']} MB at {small['rows']:,} rows, {large['peak_rss_mb']} MB at "
        f"{large['rows']:,} (load-everything: {base_small['peak_rss_mb']} / "
        f"{base_large['peak_rss_mb']} MB; target growth ≤ {EXPORT_RSS_GROWTH_MB_TARGET} MB) · "
        f"XLSX {xlsx_large['rows_per_s']:,} rows/s ({xlsx_large['rows']:,} rows, "
        f"{xlsx_large['seconds']} s), peak RSS {xlsx_small['peak_rss_mb']} / "
        f"{xlsx_large['peak_rss_mb']} MB {'ok' if all(checks.values()) else 'MISSED'}"
    )
    (RESULTS / "export.json").write_text(json.dumps(result, indent=2))
    return [name for name, ok in checks.items() if not ok]


def followups_benchmark() -> list[str]:
    result: dict[str, Any] = run_module("bench.followups")
    batch, base = result["batch"], result["baseline"]
    checks = {
        "follow-ups speed-up": result["speedup"] >= FOLLOWUPS_SPEEDUP_TARGET,
        "follow-ups time": batch["seconds"] <= FOLLOWUPS_SECONDS_TARGET,
        "follow-ups output": result["same_output"] is True,
    }
    print(
        f"follow-up lists for the digest, {result['attendees']:,} attendees and "
        f"{result['connections']:,} connections (SQLite) · followups_for_event "
        f"{batch['seconds']} s ({batch['cpu_s']} s CPU), peak RSS {batch['peak_rss_mb']} MB · "
        f"one query per attendee {base['seconds']} s ({base['cpu_s']} s CPU), peak RSS "
        f"{base['peak_rss_mb']} MB · {result['speedup']}× (target ≥ {FOLLOWUPS_SPEEDUP_TARGET}×, "
        f"≤ {FOLLOWUPS_SECONDS_TARGET} s) · same output {result['same_output']} "
        f"{'ok' if all(checks.values()) else 'MISSED'}"
    )
    (RESULTS / "followups.json").write_text(json.dumps(result, indent=2))
    return [name for name, ok in checks.items() if not ok]


def mail_benchmark() -> list[str]:
    result: dict[str, Any] = run_module("bench.mail")
    rate, kill = result["throughput"], result["kill"]
    worker, baseline = rate["worker"], rate["baseline"]
    checks = {
        "mail speed-up": rate["speedup"] >= MAIL_SPEEDUP_TARGET,
        # At least once: nothing lost; a resend only of what was sent but not yet recorded.
        "mail after kill -9": kill["lost"] == 0
        and kill["duplicates"] <= kill["unrecorded_at_kill"],
    }
    print(
        f"digests through SMTP (SQLite, local aiosmtpd, {rate['message_bytes']:,}-byte messages) · "
        f"worker {worker['per_s']}/s ({worker['messages']} in {worker['seconds']} s) · "
        f"a connection and a commit per message {baseline['per_s']}/s · {rate['speedup']}× "
        f"(target ≥ {MAIL_SPEEDUP_TARGET}×) · kill -9 after {kill['received_at_kill']} of "
        f"{kill['messages']}, restarted: {kill['lost']} lost, {kill['duplicates']} sent twice "
        f"({kill['unrecorded_at_kill']} sent but unrecorded at the kill), done "
        f"{kill['restart_to_done_s']} s after the restart (lease {kill['lease_s']} s) "
        f"{'ok' if all(checks.values()) else 'MISSED'}"
    )
    (RESULTS / "mail.json").write_text(json.dumps(result, indent=2))
    return [name for name, ok in checks.items() if not ok]


def digests_benchmark() -> list[str]:
    result: dict[str, Any] = run_module("bench.digests")
    chunked, base = result["chunked"], result["baseline"]
    checks = {
        "digests time": chunked["seconds"] <= DIGESTS_SECONDS_TARGET,
        "digests speed-up": result["speedup"] >= DIGESTS_SPEEDUP_TARGET,
    }
    print(
        f"queueing follow-up digests, {result['attendees']:,} attendees and "
        f"{result['connections']:,} connections (SQLite) · {chunked['queued']:,} queued in "
        f"{chunked['seconds']} s ({chunked['digests_per_s']}/s; target ≤ "
        f"{DIGESTS_SECONDS_TARGET} s), {chunked['write_transactions']} write transactions of "
        f"≤ {result['chunk_size']} attendees, the longest {chunked['longest_write_ms']} ms, "
        f"peak RSS {chunked['peak_rss_mb']} MB · a query per attendee and an insert per digest "
        f"in one transaction {base['digests_per_s']}/s ({base['queued']:,} in {base['seconds']} "
        f"s, the event's whole ~{base['whole_event_s_estimated']} s) · {result['speedup']}× "
        f"(target ≥ {DIGESTS_SPEEDUP_TARGET}×) {'ok' if all(checks.values()) else 'MISSED'}"
    )
    (RESULTS / "digests.json").write_text(json.dumps(result, indent=2))
    return [name for name, ok in checks.items() if not ok]


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
    failures += sync_benchmarks()
    failures += starter_benchmark()
    failures += offline_card_benchmark()
    failures += directory_benchmark()
    failures += checkin_benchmark()
    failures += dashboard_benchmark()
    failures += export_benchmark()
    failures += followups_benchmark()
    failures += mail_benchmark()
    failures += digests_benchmark()
    if failures:
        print("Missed targets: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
