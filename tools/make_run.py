"""`make run`: the whole pipeline once, as real Airflow DAG runs (`airflow dags test`), in order:
ingest_kolada → ingest_scb → ingest_files → transform_publish. Prints progress, then where the warehouse is and what it holds.

There is no second code path: the runner only resolves the source mode once (so every DAG agrees), runs the
DAGs, and reads the published warehouse read-only for the summary."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from ingest.file_drop import landing_dir
from ingest.modes import resolve_mode
from jamstat.settings import REPO_ROOT, Settings
from tools.replay_exports import drop_bundled_exports

PIPELINE = ("ingest_kolada", "ingest_scb", "ingest_files", "transform_publish")
TASK_LINE = re.compile(r"\[DAG TEST\] end task task_id=(\S+) map_index=(-?\d+)")
STATE_LINE = re.compile(r"new_state=(\w+)")
FAILURE_NOTICE = re.compile(r"(jamstat: \S+ failed in run \S+: .*?)\s+\[jamstat\.notify\]")


def run_dag(dag_id: str, env: dict, log_dir: Path) -> tuple[bool, float, Path]:
    """Run one DAG with `airflow dags test`, streaming a line per finished task."""
    log_path = log_dir / f"{dag_id}.log"
    started = time.monotonic()
    states: dict[str, int] = {}
    last_state = "?"
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen([sys.executable, "-m", "airflow", "dags", "test", dag_id], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO_ROOT)
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if m := FAILURE_NOTICE.search(line):
                print(f"    ✘ {m.group(1)}", flush=True)
            if m := STATE_LINE.search(line):
                last_state = m.group(1)
            if m := TASK_LINE.search(line):
                task, idx = m.groups()
                states[last_state] = states.get(last_state, 0) + 1
                label = task if idx == "-1" else f"{task}[{idx}]"
                if idx == "-1":
                    print(f"    {'✔' if last_state == 'success' else '·' if last_state == 'skipped' else '✘'} "
                          f"{label:<28} {last_state}", flush=True)
        rc = proc.wait()
    elapsed = time.monotonic() - started
    counts = ", ".join(f"{k}={v}" for k, v in sorted(states.items()))
    print(f"  {'OK ' if rc == 0 else 'FAILED'} {dag_id} in {elapsed:.1f}s ({counts}); log: {log_path}", flush=True)
    return rc == 0, elapsed, log_path


def published_summary(settings: Settings) -> str:
    import duckdb

    path = settings.published_path
    if not path.exists():
        return f"No published warehouse at {path} yet."
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("SELECT run_id, published_at, source_modes, row_counts, gate_results "
                           "FROM marts.publications ORDER BY published_at DESC LIMIT 1").fetchone()
        n_pubs = con.execute("SELECT count(*) FROM marts.publications").fetchone()[0]
    run_id, published_at, modes, counts, gates = rows
    shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    lines = [f"Published warehouse: {path}  (open read-only: .venv/bin/duckdb -readonly {shown})",
             f"  publication #{n_pubs}: run {run_id} at {published_at:%Y-%m-%d %H:%M:%S} UTC, "
             f"source mode(s): {', '.join(json.loads(modes)) or '?'}",
             "  rows per mart:"]
    lines += [f"    marts.{t:<24} {n:>8,}" for t, n in json.loads(counts).items()]
    lines.append("  gates:")
    for g in json.loads(gates):
        lines.append(f"    {'PASS' if g['success'] else 'FAIL'} {g['gate']:<20} {g['checks']} checks")
    lines.append(f"  Parquet exports: {settings.exports_dir / 'current'}")
    report = settings.report_dir / "current" / "index.html"
    if report.exists():
        lines.append(f"  Follow-up report: {report}  (rendered from run {report.resolve().parent.name}; "
                     "opens offline in a browser)")
    return "\n".join(lines)


def main() -> int:
    settings = Settings.from_env()
    total = time.monotonic()
    mode = resolve_mode(settings)
    banner = f"SOURCE MODE: {mode.upper()}  (JAMSTAT_MODE={settings.mode}" + (
        "; live hosts did not answer, using the recorded payloads" if settings.mode == "auto" and mode == "replay"
        else "") + ")"
    print("=" * len(banner), banner, "=" * len(banner), sep="\n", flush=True)
    env = {**os.environ, "JAMSTAT_MODE": mode}
    if mode == "replay":  # the real analyst exports replay carries, dropped as an analyst would
        dropped = drop_bundled_exports(landing_dir(settings))
        print(f"dropped {len(dropped)} bundled export file(s) into {landing_dir(settings)}" if dropped else
              "bundled exports already in the landing folder", flush=True)
    log_dir = settings.warehouse_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    before = settings.published_path.stat().st_mtime_ns if settings.published_path.exists() else None
    ok = True
    for dag_id in PIPELINE:
        print(f"▶ {dag_id}", flush=True)
        success, _, log_path = run_dag(dag_id, env, log_dir)
        if not success:
            ok = False
            changed = settings.published_path.exists() and settings.published_path.stat().st_mtime_ns != before
            print(f"\n{dag_id} failed. " + ("The new warehouse was published; a task after publish failed (a "
                  "failed render_report keeps the previous report as current). " if changed else
                  "The last good warehouse (if any) is untouched. ") + f"Details: {log_path}\n"
                  f"Look for 'Task failed with exception' there; gate failures are summarised in "
                  f"{settings.quarantine_dir}/<run_id>/quality_report.md.", file=sys.stderr)
            break
    print()
    print(published_summary(settings))
    after = settings.published_path.stat().st_mtime_ns if settings.published_path.exists() else None
    print(f"\nmake run finished in {time.monotonic() - total:.1f}s — "
          f"{'published a new warehouse' if after != before else 'NOTHING NEW PUBLISHED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
