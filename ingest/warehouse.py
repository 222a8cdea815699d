"""Build the candidate warehouse: a fresh private DuckDB file loaded with every committed batch, then one
`dbt build` process into it. Readers never open the candidate (see ingest/publish.py for publication)."""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.config import Settings
from ingest.contract import OBSERVATION_COLUMNS

log = logging.getLogger(__name__)

BATCH_COLUMNS = {
    "batch_id": "VARCHAR", "source": "VARCHAR", "unit": "VARCHAR", "source_refs": "VARCHAR",
    "mode": "VARCHAR", "run_id": "VARCHAR", "fetched_at": "TIMESTAMP", "row_count": "BIGINT",
    "responses": "VARCHAR", "notes": "VARCHAR",
}


CHECK_COLUMNS = {
    "source": "VARCHAR", "unit": "VARCHAR", "status": "VARCHAR", "batch_ids": "VARCHAR", "mode": "VARCHAR",
    "run_id": "VARCHAR", "checked_at": "TIMESTAMP",
}


def committed_batches(batches_dir: Path) -> list[tuple[Path, Path]]:
    """(manifest, parquet) pairs of committed batches. The parquet file is renamed into place last, so a
    manifest without its parquet is an interrupted unit and is ignored."""
    pairs = []
    for parquet in sorted(batches_dir.glob("*/*.parquet")):
        manifest = parquet.with_suffix(".json")
        if manifest.exists():
            pairs.append((manifest, parquet))
    return pairs


def _manifest_row(manifest: Path) -> tuple:
    m = json.loads(manifest.read_text(encoding="utf-8"))
    return (
        m["batch_id"], m["source"], m.get("unit"), json.dumps(m.get("source_refs", []), ensure_ascii=False),
        m.get("mode"), m.get("run_id"), m["fetched_at"], int(m.get("row_count", 0)),
        json.dumps(m.get("responses", []), ensure_ascii=False), json.dumps(m.get("notes", []), ensure_ascii=False),
    )


def prepare_candidate(settings: Settings, path: Path | None = None) -> dict:
    """Create a fresh candidate DuckDB file with raw.observations and raw.batches from committed batches.

    Returns counts per source. The file is rebuilt from scratch every run, so a run is idempotent."""
    import duckdb

    path = path or settings.candidate_path
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    pairs = committed_batches(settings.batches_dir)
    obs_ddl = ", ".join(f"{c} {t}" for c, t in OBSERVATION_COLUMNS.items())
    batch_ddl = ", ".join(f"{c} {t}" for c, t in BATCH_COLUMNS.items())
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute(f"CREATE TABLE raw.observations ({obs_ddl})")
        con.execute(f"CREATE TABLE raw.batches ({batch_ddl})")
        con.execute(f"CREATE TABLE raw.source_checks ({', '.join(f'{c} {t}' for c, t in CHECK_COLUMNS.items())})")
        checks = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(settings.state_dir.glob("checks/*/*.json"))]
        if checks:
            con.executemany("INSERT INTO raw.source_checks VALUES (?, ?, ?, ?, ?, ?, ?)", [
                (c["source"], c["unit"], c["status"], json.dumps(c.get("batch_ids", [])), c.get("mode"),
                 c.get("run_id"), c["checked_at"]) for c in checks])
        if pairs:
            files = [str(p) for _, p in pairs]
            cols = ", ".join(OBSERVATION_COLUMNS)
            con.execute(f"INSERT INTO raw.observations SELECT {cols} FROM read_parquet(?, union_by_name => true)",
                        [files])
            con.executemany(f"INSERT INTO raw.batches VALUES ({', '.join('?' * len(BATCH_COLUMNS))})",
                            [_manifest_row(m) for m, _ in pairs])
        counts = dict(con.execute(
            "SELECT source, count(*) FROM raw.observations GROUP BY source ORDER BY source").fetchall())
        n_batches = con.execute("SELECT count(*) FROM raw.batches").fetchone()[0]
    log.info("candidate %s: %d batches, observations per source %s", path, n_batches, counts)
    return {"candidate": str(path), "batches": n_batches, "observations": counts}


@dataclass
class DbtResult:
    success: bool
    command: str
    returncode: int
    elapsed_s: float
    counts: dict = field(default_factory=dict)      # status -> n (pass, fail, error, warn, skipped, success)
    failures: list = field(default_factory=list)    # [{node, status, message, failures}]
    tests: list = field(default_factory=list)       # every test node: [{node, status, failures}]
    log_tail: str = ""

    def summary(self) -> str:
        head = (f"dbt {self.command}: {'PASSED' if self.success else 'FAILED'} in {self.elapsed_s:.1f}s "
                f"({', '.join(f'{k}={v}' for k, v in sorted(self.counts.items()))})")
        lines = [head] + [f"  - {f['status'].upper()} {f['node']}: {f['message']}" for f in self.failures[:15]]
        if len(self.failures) > 15:
            lines.append(f"  … and {len(self.failures) - 15} more (see run_results.json)")
        if not self.success and not self.failures:
            lines.append("  dbt did not finish; last output:\n" + self.log_tail)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return asdict(self)


def ensure_dbt_packages(settings: Settings) -> None:
    """`dbt deps` once: the helper macros are a local package (dbt Hub is unreachable offline), and deps only
    makes a symlink in the git-ignored dbt_packages/, so it is needed on a fresh clone and never again."""
    if (settings.dbt_project_dir / "dbt_packages" / "jamstat_utils").exists():
        return
    deps = run_dbt(settings, "deps", target_path=settings.warehouse_dir / "work" / "dbt_deps")
    if not deps.success:
        raise RuntimeError(f"dbt deps failed in {settings.dbt_project_dir}:\n{deps.log_tail}")


def dbt_executable() -> str:
    """The dbt next to the running interpreter (the project venv), else whatever is on PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else (shutil.which("dbt") or "dbt")


def run_dbt(settings: Settings, command: str = "build", *, target: str = "duckdb", extra_args: list[str] | None = None,
            candidate: Path | None = None, target_path: Path | None = None, stream=None) -> DbtResult:
    """Run one dbt command against the candidate and summarise run_results.json.

    One dbt process for the whole build (dbt's threads work inside it), as the DuckDB single-writer rule needs."""
    project = settings.dbt_project_dir
    target_path = target_path or settings.warehouse_dir / "work" / "dbt_target"
    env = {**os.environ, "DO_NOT_TRACK": "1",
           "JAMSTAT_CANDIDATE_PATH": str(candidate or settings.candidate_path),
           "DBT_LOG_PATH": str(target_path / "logs"), "DBT_TARGET_PATH": str(target_path)}
    cmd = [dbt_executable(), *command.split(), "--project-dir", str(project), "--profiles-dir", str(project),
           "--target", target, *(extra_args or [])]
    log.info("running: %s", " ".join(cmd))
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=project)
    tail: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:  # stream progress: dbt prints one line per node
        line = line.rstrip("\n")
        tail = (tail + [line])[-40:]
        if stream:
            stream(line)
        else:
            log.info("%s", line)
    rc = proc.wait()
    elapsed = time.monotonic() - started
    counts: dict[str, int] = {}
    failures = []
    tests = []
    # `source freshness` writes sources.json; every other command writes run_results.json
    results_file = target_path / ("sources.json" if command.startswith("source freshness") else "run_results.json")
    if results_file.exists() and results_file.stat().st_mtime >= time.time() - elapsed - 5:
        for r in json.loads(results_file.read_text()).get("results", []):
            counts[r["status"]] = counts.get(r["status"], 0) + 1
            if r["unique_id"].startswith(("test.", "unit_test.", "source.")):
                tests.append({"node": r["unique_id"], "status": r["status"], "failures": r.get("failures")})
            if r["status"] in ("fail", "error", "runtime error"):
                failures.append({"node": r["unique_id"], "status": r["status"],
                                 "message": (r.get("message") or "").strip()[:300], "failures": r.get("failures")})
    return DbtResult(success=rc == 0, command=command, returncode=rc, elapsed_s=round(elapsed, 2),
                     counts=counts, failures=failures, tests=tests, log_tail="\n".join(tail))
