"""`make run`: the whole pipeline once, as real Airflow DAG runs (`airflow dags test`): ingest_kolada,
ingest_scb, ingest_files, then transform_publish, which builds from whatever is committed even when some
ingest unit failed (each failure stays in its own task). Prints progress, then where the warehouse is, what
it holds, and what failed and how stale its data is.

There is no second code path: the runner resolves the source mode once (so every DAG agrees), starts one
replay server for the whole run in replay mode, runs the DAGs in one Airflow process (tools.dag_runner), and
reads the published warehouse read-only for the summary. Each run's logs go to warehouse/logs/<started>/."""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from ingest.file_drop import landing_dir
from ingest.modes import resolve_mode
from ingest.unit_failures import describe, failed_units
from jamstat.settings import REPO_ROOT, Settings
from tools.dag_runner import BEGIN, END
from tools.replay_exports import drop_bundled_exports

PIPELINE = ("ingest_kolada", "ingest_scb", "ingest_files", "transform_publish")
KEEP_LOG_RUNS = 20
TASK_LINE = re.compile(r"\[DAG TEST\] end task task_id=(\S+) map_index=(-?\d+)")
STATE_LINE = re.compile(r"new_state=(\w+)")
FAILURE_NOTICE = re.compile(r"(jamstat: \S+ failed in run \S+: .*?)\s+\[jamstat\.notify\]")
END_LINE = re.compile(rf"^{re.escape(END)} (\S+) rc=(\d+) seconds=(\S+)")


class DagProgress:
    """Reads the runner's output: one log file per DAG, a line per finished task, a result per DAG."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.log = None
        self.states: dict[str, int] = {}
        self.last_state = "?"
        self.results: dict[str, bool] = {}

    def feed(self, line: str) -> None:
        if line.startswith(BEGIN):
            dag_id = line.split()[-1]
            print(f"▶ {dag_id}", flush=True)
            self.close()
            self.log = (self.log_dir / f"{dag_id}.log").open("w", encoding="utf-8")
            self.states, self.last_state = {}, "?"
            return
        if m := END_LINE.match(line):
            dag_id, rc, seconds = m.group(1), int(m.group(2)), float(m.group(3))
            self.results[dag_id] = rc == 0
            counts = ", ".join(f"{k}={v}" for k, v in sorted(self.states.items()))
            print(f"  {'OK ' if rc == 0 else 'FAILED'} {dag_id} in {seconds:.1f}s ({counts}); "
                  f"log: {self.log_dir / (dag_id + '.log')}", flush=True)
            self.close()
            return
        if self.log:
            self.log.write(line)
        if m := FAILURE_NOTICE.search(line):
            print(f"    ✘ {m.group(1)}", flush=True)
        if m := STATE_LINE.search(line):
            self.last_state = m.group(1)
        if m := TASK_LINE.search(line):
            task, idx = m.groups()
            self.states[self.last_state] = self.states.get(self.last_state, 0) + 1
            if idx == "-1":
                mark = "✔" if self.last_state == "success" else "·" if self.last_state == "skipped" else "✘"
                print(f"    {mark} {task:<28} {self.last_state}", flush=True)

    def close(self) -> None:
        if self.log:
            self.log.close()
            self.log = None


def run_pipeline(env: dict, log_dir: Path) -> dict[str, bool]:
    """Every DAG of the pipeline in one Airflow process; {dag_id: succeeded}."""
    progress = DagProgress(log_dir)
    proc = subprocess.Popen([sys.executable, "-m", "tools.dag_runner", *PIPELINE], env=env, cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    with (log_dir / "runner.log").open("w", encoding="utf-8") as raw:
        for line in proc.stdout:
            if not progress.log:
                raw.write(line)
            progress.feed(line)
    proc.wait()
    progress.close()
    return {dag_id: progress.results.get(dag_id, False) for dag_id in PIPELINE}


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


def _log_dir(settings: Settings) -> Path:
    """warehouse/logs/<UTC start>/ for this run; the oldest beyond KEEP_LOG_RUNS are removed."""
    root = settings.warehouse_dir / "logs"
    folder = root / datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    folder.mkdir(parents=True)
    runs = sorted(p for p in root.iterdir() if p.is_dir())
    for old in runs[:-KEEP_LOG_RUNS]:
        shutil.rmtree(old, ignore_errors=True)
    return folder


@contextlib.contextmanager
def _replay_url(mode: str, settings: Settings):
    """One replay server for the whole run (instead of one per task) unless JAMSTAT_REPLAY_URL names one."""
    if mode != "replay" or settings.replay_url:
        yield settings.replay_url
        return
    from ingest.replay.server import replay_server

    with replay_server() as url:  # loopback: only this run's DAGs talk to it
        yield url


def _publication_mtime(settings: Settings) -> int | None:
    path = settings.published_path
    return path.stat().st_mtime_ns if path.exists() else None


def main() -> int:
    settings = Settings.from_env()
    total = time.monotonic()
    mode = resolve_mode(settings)
    banner = f"SOURCE MODE: {mode.upper()}  (JAMSTAT_MODE={settings.mode}" + (
        "; live hosts did not answer, using the recorded payloads" if settings.mode == "auto" and mode == "replay"
        else "") + ")"
    print("=" * len(banner), banner, "=" * len(banner), sep="\n", flush=True)
    if mode == "replay":  # the real analyst exports replay carries, dropped as an analyst would
        dropped = drop_bundled_exports(landing_dir(settings))
        print(f"dropped {len(dropped)} bundled export file(s) into {landing_dir(settings)}" if dropped else
              "bundled exports already in the landing folder", flush=True)
    log_dir = _log_dir(settings)
    before = _publication_mtime(settings)
    with _replay_url(mode, settings) as replay_url:
        env = {**os.environ, "JAMSTAT_MODE": mode, "PYTHONUNBUFFERED": "1"}
        if mode == "replay":  # recorded answers do not change between attempts: retry at once
            env.setdefault("JAMSTAT_RETRY_DELAY_S", "1")
        if replay_url:
            env["JAMSTAT_REPLAY_URL"] = replay_url
        results = run_pipeline(env, log_dir)
    failed_dags = [d for d, ok in results.items() if not ok]
    print()
    print(published_summary(settings))
    failures = describe(failed_units(settings.state_dir))
    if failures:
        print("\nFailed ingest units (their last good data, if any, is what is published):")
        print("\n".join(f"  ✘ {line}" for line in failures))
    published = _publication_mtime(settings) != before
    if failed_dags:
        after_publish = ("A new warehouse was published; a task after publish failed (a failed render_report keeps "
                         "the previous report as current). " if published and "transform_publish" in failed_dags
                         else "")
        print(f"\nFailed DAG runs: {', '.join(failed_dags)}. {after_publish}Logs: {log_dir}. Look for 'Task failed "
              f"with exception' there; gate failures are summarised in {settings.quarantine_dir}/<run_id>/"
              "quality_report.md.", file=sys.stderr)
    print(f"\nmake run finished in {time.monotonic() - total:.1f}s — "
          f"{'published a new warehouse' if published else 'NOTHING NEW PUBLISHED'}"
          + (f" ({len(failed_dags)} DAG run(s) failed)" if failed_dags else ""))
    return 1 if failed_dags else 0


if __name__ == "__main__":
    sys.exit(main())
