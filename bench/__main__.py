"""Run every benchmark and compare it with its target; exit 1 when one is missed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
IMPORT_TARGET_S = 5.0


def run_module(module: str, *args: str) -> dict[str, object]:
    output = subprocess.run(
        [sys.executable, "-m", module, *args], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return result


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
    if failures:
        print("Missed targets: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
