"""Run dbt (one process per command, its own threads inside: DuckDB has one writer per file) and read its
run_results.json into a `DbtResult`."""
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

from jamstat.settings import Settings

log = logging.getLogger(__name__)


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
