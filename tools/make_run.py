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
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from ingest.file_drop import ensure_landing_dir, landing_dir
from ingest.modes import resolve_mode
from ingest.unit_failures import describe, failed_units
from jamstat.settings import REPO_ROOT, Settings, safe_run_id
from tools.dag_runner import BEGIN, END, TASK_LOGS
from tools.replay_exports import drop_bundled_exports

PIPELINE = ("ingest_kolada", "ingest_scb", "ingest_files", "transform_publish")
KEEP_LOG_RUNS = 20
QUIET_S = 8  # a task running longer than this without a printed line gets a "still running" line
TASK_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+) map_index=(-?\d+)")
TASK_LINE = re.compile(r"\[DAG TEST\] end task task_id=(\S+) map_index=(-?\d+)")
RUN_LINE = re.compile(r"\[DAG TEST\] running task <TaskInstance: [^.\s]+\.\S+ (\S+)")
STATE_LINE = re.compile(r"new_state=(\w+)")
FAILURE_NOTICE = re.compile(r"(jamstat: \S+ failed in run \S+: .*?)\s+\[jamstat\.notify\]")
END_LINE = re.compile(rf"^{re.escape(END)} (\S+) rc=(\d+) seconds=(\S+)")
RUN_SUMMARY = "RUN SUMMARY "
LOGGER_TAIL = re.compile(r"\s+\[jamstat\.tasks\].*$")  # the console renderer's logger name and key=values


class DagProgress:
    """Reads the runner's output: one log file per DAG, a line per finished task (mapped tasks as a running
    count), a result per DAG and where the Airflow UI finds its task logs."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.log = None
        self.states: dict[str, int] = {}
        self.last_state = "?"
        self.results: dict[str, bool] = {}
        self.run_ids: dict[str, str] = {}
        self.task_logs: str | None = None
        self.dag_id: str | None = None
        self.running: tuple[str, float] | None = None  # (task label, monotonic start)
        self.mapped: dict[str, int] = {}
        self.last_print = time.monotonic()
        self.in_summary = False

    def say(self, text: str) -> None:
        print(text, flush=True)
        self.last_print = time.monotonic()

    def feed(self, line: str) -> None:
        if line.startswith(TASK_LOGS):
            self.task_logs = line[len(TASK_LOGS):].strip()
            return
        if line.startswith(BEGIN):
            self.dag_id = line.split()[-1]
            self.say(f"▶ {self.dag_id}")
            self.close()
            self.log = (self.log_dir / f"{self.dag_id}.log").open("w", encoding="utf-8")
            self.states, self.last_state, self.mapped = {}, "?", {}
            return
        if m := END_LINE.match(line):
            self._end(m.group(1), int(m.group(2)), float(m.group(3)))
            return
        if self.log:
            self.log.write(line)
        self._task_line(line)

    def _task_line(self, line: str) -> None:
        if RUN_SUMMARY in line or (self.in_summary and line.startswith("  ")):
            self.in_summary = True  # the record task's run summary: loaded / unchanged / skipped and why / failed
            text = LOGGER_TAIL.sub("", line[line.find(RUN_SUMMARY):] if RUN_SUMMARY in line else line).rstrip()
            self.say(f"    {text}")
            return
        self.in_summary = False
        if m := FAILURE_NOTICE.search(line):
            self.say(f"    ✘ {m.group(1)}")
        if m := STATE_LINE.search(line):
            self.last_state = m.group(1)
        if self.dag_id and (m := RUN_LINE.search(line)):
            self.run_ids[self.dag_id] = m.group(1)
        if m := TASK_START.search(line):
            task, idx = m.groups()
            self.running = (task if idx == "-1" else f"{task}[{idx}]", time.monotonic())
        if m := TASK_LINE.search(line):
            task, idx = m.groups()
            self.running = None
            self.states[self.last_state] = self.states.get(self.last_state, 0) + 1
            if idx == "-1":
                mark = "✔" if self.last_state == "success" else "·" if self.last_state == "skipped" else "✘"
                self.say(f"    {mark} {task:<28} {self.last_state}")
            else:
                self.mapped[self.last_state] = self.mapped.get(self.last_state, 0) + 1
                if time.monotonic() - self.last_print > QUIET_S / 2:
                    done = ", ".join(f"{k}={v}" for k, v in sorted(self.mapped.items()))
                    self.say(f"    … {task}: {sum(self.mapped.values())} mapped task(s) done ({done})")

    def _end(self, dag_id: str, rc: int, seconds: float) -> None:
        self.results[dag_id] = rc == 0
        counts = ", ".join(f"{k}={v}" for k, v in sorted(self.states.items()))
        self.say(f"  {'OK ' if rc == 0 else 'FAILED'} {dag_id} in {seconds:.1f}s ({counts})")
        self.say(f"      console log: {self.log_dir / (dag_id + '.log')}")
        if self.task_logs and dag_id in self.run_ids:
            self.say(f"      task logs (also in the Airflow UI): {self.task_logs}/dag_id={dag_id}/"
                     f"run_id={self.run_ids[dag_id]}/")
        self.close()
        self.dag_id = None

    def heartbeat(self) -> None:
        """Called every second or so: a long task (dbt build, a gate) says it is still running."""
        if self.running and time.monotonic() - self.last_print > QUIET_S:
            task, started = self.running
            self.say(f"    … {task} still running ({time.monotonic() - started:.0f}s)")

    def close(self) -> None:
        if self.log:
            self.log.close()
            self.log = None


def run_pipeline(env: dict, log_dir: Path) -> tuple[dict[str, bool], str | None]:
    """Every DAG of the pipeline in one Airflow process; ({dag_id: succeeded}, the task log folder)."""
    progress = DagProgress(log_dir)
    proc = subprocess.Popen([sys.executable, "-m", "tools.dag_runner", *PIPELINE], env=env, cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lock = threading.Lock()
    finished = threading.Event()

    def beat() -> None:
        while not finished.wait(1.0):
            with lock:
                progress.heartbeat()

    ticker = threading.Thread(target=beat, daemon=True)
    ticker.start()
    with (log_dir / "runner.log").open("w", encoding="utf-8") as raw:
        for line in proc.stdout:
            with lock:
                if not progress.log:
                    raw.write(line)
                progress.feed(line)
    proc.wait()
    finished.set()
    ticker.join()
    progress.close()
    return {dag_id: progress.results.get(dag_id, False) for dag_id in PIPELINE}, progress.task_logs


def latest_publication(settings: Settings) -> tuple[dict | None, int]:
    """The newest marts.publications row (columns by name) and how many publications there are."""
    import duckdb

    if not settings.published_path.exists():
        return None, 0
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        cur = con.execute("SELECT * FROM marts.publications ORDER BY published_at DESC LIMIT 1")
        names = [d[0] for d in cur.description]
        row = dict(zip(names, cur.fetchone(), strict=True))
        return row, con.execute("SELECT count(*) FROM marts.publications").fetchone()[0]


def gate_lines(gates: list[dict]) -> list[str]:
    """PASS / WARN / FAIL per gate, as the quality report says (a gate with warned checks passes, with WARN)."""
    lines = []
    for g in gates:
        verdict = g.get("verdict") or ("PASS" if g["success"] else "FAIL")
        line = f"    {verdict} {g['gate']:<20} {g['checks']} checks"
        if g.get("warned"):
            line += f"; warned: {', '.join(g['warned'][:5])}" + (" …" if len(g["warned"]) > 5 else "")
        if g.get("failed") and verdict == "FAIL":
            line += f"; failed: {', '.join(g['failed'][:5])}"
        lines.append(line)
    return lines


def published_summary(settings: Settings) -> str:
    path = settings.published_path
    row, n_pubs = latest_publication(settings)
    if row is None:
        return f"No published warehouse at {path} yet."
    shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    same = {True: " — every mart identical to the previous publication", False: " — marts changed",
            None: ""}[row.get("identical_to_previous")]
    lines = [f"Published warehouse: {path}  (open read-only: .venv/bin/duckdb -readonly {shown})",
             f"  publication #{n_pubs}: run {row['run_id']} at {row['published_at']:%Y-%m-%d %H:%M:%S} UTC, "
             f"source mode(s): {', '.join(json.loads(row['source_modes'])) or '?'}{same}",
             "  rows per mart:"]
    lines += [f"    marts.{t:<24} {n:>8,}" for t, n in json.loads(row["row_counts"]).items()]
    report_md = settings.reports_dir / safe_run_id(row["run_id"]) / "quality_report.md"
    lines.append(f"  gates (quality report: {report_md}):")
    lines += gate_lines(json.loads(row["gate_results"]))
    lines.append(f"  Parquet exports: {settings.exports_dir / 'current'}")
    report = settings.report_dir / "current" / "index.html"
    if report.exists():
        lines.append(f"  Follow-up report: {report}  (rendered from run {report.resolve().parent.name}; "
                     "opens offline in a browser)")
    return "\n".join(lines)


def outcome(settings: Settings, published: bool) -> str:
    """The last line's verdict: what this run did to the published warehouse."""
    if not published:
        return "NOTHING NEW PUBLISHED"
    row, _ = latest_publication(settings)
    if row and row.get("identical_to_previous"):
        return "published again, every mart identical to the previous publication (no data changed)"
    return "published a new warehouse"


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
    landing = ensure_landing_dir(settings)
    print(f"landing folder for analyst exports: {landing} (README.txt there says how)", flush=True)
    if mode == "replay":  # the real analyst exports replay carries, dropped as an analyst would
        dropped = drop_bundled_exports(landing_dir(settings))
        print(f"dropped {len(dropped)} bundled export file(s) into {landing_dir(settings)}" if dropped else
              "bundled exports already in the landing folder", flush=True)
    log_dir = _log_dir(settings)
    before = _publication_mtime(settings)
    with _replay_url(mode, settings) as replay_url:
        env = {**os.environ, "JAMSTAT_MODE": mode, "PYTHONUNBUFFERED": "1",
               # task log files owner-only, as `make up` writes them for scheduler runs
               "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FILE_PERMISSIONS": "0o600",
               "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FOLDER_PERMISSIONS": "0o700"}
        if mode == "replay":  # recorded answers do not change between attempts: retry at once
            env.setdefault("JAMSTAT_RETRY_DELAY_S", "1")
        if replay_url:
            env["JAMSTAT_REPLAY_URL"] = replay_url
        results, task_logs = run_pipeline(env, log_dir)
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
    print(f"\nTask logs: {task_logs or 'the Airflow base_log_folder'} — `make up` shows them in the Airflow UI "
          "(DAG → run → task → Logs); console logs of this run: " + str(log_dir))
    print(f"\nmake run finished in {time.monotonic() - total:.1f}s — {outcome(settings, published)}"
          + (f" ({len(failed_dags)} DAG run(s) failed)" if failed_dags else ""))
    return 1 if failed_dags else 0


if __name__ == "__main__":
    sys.exit(main())
