"""`make bench`: run every benchmark and merge its figures into bench/results/latest.json (a flat object).

Figures (names are stable; later benchmarks add theirs):
- make_run_s: wall time of a warm `make run` (venv and Airflow DB ready, raw data already landed), replay mode.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "latest.json"


def bench_make_run() -> dict:
    """Warm make run in replay mode: one run to warm up, then the timed one."""
    env = {**os.environ, "JAMSTAT_MODE": "replay"}
    cmd = [sys.executable, "-m", "ingest.runner"]
    subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True)
    started = time.monotonic()
    subprocess.run(cmd, env=env, cwd=REPO, check=True, capture_output=True)
    return {"make_run_s": round(time.monotonic() - started, 2)}


BENCHMARKS = [bench_make_run]


def main() -> int:
    figures = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for bench in BENCHMARKS:
        name = bench.__name__
        print(f"▶ {name} …", flush=True)
        result = bench()
        figures.update(result)
        for key, value in result.items():
            print(f"    {key:<32} {value}")
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    print(f"figures written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
