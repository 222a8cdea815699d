"""Run dbt (one process per command, its own threads inside: DuckDB has one writer per file) and read its
run_results.json into a `DbtResult`. Every command gets the source freshness limits of expectations/freshness.yml
as the dbt var `source_freshness` (dbt_project.yml does not repeat them).

`python -m jamstat.transform.dbt_runner` prints that `--vars` value, for running dbt by hand."""
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

import yaml

from jamstat.settings import Settings

DURATION_KEYS = ("days", "hours", "minutes")
DBT_PERIODS = (("day", 1440), ("hour", 60), ("minute", 1))

log = logging.getLogger(__name__)


@dataclass
class DbtResult:
    success: bool
    command: str
    returncode: int
    elapsed_s: float
    counts: dict = field(default_factory=dict)      # status -> n (pass, fail, error, warn, skipped, success)
    failures: list = field(default_factory=list)    # [{node, status, message, failures}]
    tests: list = field(default_factory=list)       # every test node: [{node, status, failures, relation}]
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


def _dbt_threshold(spec: dict | None, where: str) -> dict | None:
    """{days, hours, minutes} (summed) as dbt's {count, period} in the largest whole period; None = no limit."""
    if spec is None:
        return None
    numbers = isinstance(spec, dict) and all(isinstance(v, (int, float)) for v in spec.values())
    if not numbers or not spec or set(spec) - set(DURATION_KEYS):
        raise ValueError(f"{where}: a duration is a mapping of {', '.join(DURATION_KEYS)} to numbers, got {spec!r}")
    minutes = float(spec.get("days", 0)) * 1440 + float(spec.get("hours", 0)) * 60 + float(spec.get("minutes", 0))
    if minutes <= 0 or not minutes.is_integer():
        raise ValueError(f"{where}: {spec!r} is not a positive whole number of minutes, which dbt needs")
    period, size = next((p, n) for p, n in DBT_PERIODS if minutes % n == 0)
    return {"count": int(minutes) // size, "period": period}


def source_freshness_vars(freshness_yml: Path) -> dict:
    """The dbt vars for source freshness, from the `dbt_source_freshness` section of expectations/freshness.yml:
    {"source_freshness": {<dbt source>: {"warn_after": {count, period} | None, "error_after": ... | None}}}."""
    section = (yaml.safe_load(freshness_yml.read_text(encoding="utf-8")) or {}).get("dbt_source_freshness")
    if not isinstance(section, dict) or not section:
        raise ValueError(f"{freshness_yml} has no dbt_source_freshness section: add the warn_after / error_after "
                         "limits of every dbt source there (dbt_project.yml does not hold them)")
    limits = {}
    for source, spec in section.items():
        if not isinstance(spec, dict) or not spec or set(spec) - {"warn_after", "error_after"}:
            raise ValueError(f"{freshness_yml}: dbt_source_freshness.{source} takes warn_after and/or error_after, "
                             f"got {spec!r}")
        limits[source] = {k: _dbt_threshold(spec.get(k), f"{freshness_yml}: dbt_source_freshness.{source}.{k}")
                          for k in ("warn_after", "error_after")}
    return {"source_freshness": limits}


def dbt_vars_args(settings: Settings) -> list[str]:
    """`--vars` for every dbt command of this project (the limits come from the expectations folder in use)."""
    return ["--vars", json.dumps(source_freshness_vars(settings.expectations_dir / "freshness.yml"))]


def dbt_executable() -> str:
    """The dbt next to the running interpreter (the project venv), else whatever is on PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else (shutil.which("dbt") or "dbt")


# Unit tests check the models' SQL on fixed inputs, not the data, so a refresh does not re-run them: dbt recommends
# leaving them out of production builds. `make test` runs them (tests/dbt/test_dbt_build.py builds with them).
PIPELINE_BUILD_ARGS = ["--exclude-resource-type", "unit_test"]


def run_pipeline_build(settings: Settings, **kwargs) -> DbtResult:
    """The pipeline's `dbt build` of the candidate: seeds, models and data tests (the dbt gate)."""
    return run_dbt(settings, "build", extra_args=PIPELINE_BUILD_ARGS, **kwargs)


def run_dbt(settings: Settings, command: str = "build", *, target: str = "duckdb", extra_args: list[str] | None = None,
            candidate: Path | None = None, target_path: Path | None = None, stream=None) -> DbtResult:
    """Run one dbt command against the candidate and summarise run_results.json.

    One dbt process for the whole build (dbt's threads work inside it), as the DuckDB single-writer rule needs."""
    project = settings.dbt_project_dir
    target_path = target_path or settings.warehouse_dir / "work" / "dbt_target"
    try:
        dbt_vars = dbt_vars_args(settings)
    except (OSError, ValueError, yaml.YAMLError) as exc:  # a dbt gate failure that names the file, not a crash
        return DbtResult(success=False, command=command, returncode=-1, elapsed_s=0.0,
                         log_tail=f"dbt not started: the source freshness limits could not be read ({exc}). "
                                  f"{settings.expectations_dir / 'freshness.yml'} (JAMSTAT_EXPECTATIONS_DIR) must "
                                  "hold a dbt_source_freshness section.")
    env = {**os.environ, "DO_NOT_TRACK": "1",
           "JAMSTAT_CANDIDATE_PATH": str(candidate or settings.candidate_path),
           "DBT_LOG_PATH": str(target_path / "logs"), "DBT_TARGET_PATH": str(target_path)}
    cmd = [dbt_executable(), *command.split(), "--project-dir", str(project), "--profiles-dir", str(project),
           "--target", target, *dbt_vars, *(extra_args or [])]
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
                tests.append({"node": r["unique_id"], "status": r["status"], "failures": r.get("failures"),
                              "relation": r.get("relation_name") or None})  # stored failing rows, if any
            if r["status"] in ("fail", "error", "runtime error"):
                failures.append({"node": r["unique_id"], "status": r["status"],
                                 "message": (r.get("message") or "").strip()[:300], "failures": r.get("failures")})
    return DbtResult(success=rc == 0, command=command, returncode=rc, elapsed_s=round(elapsed, 2),
                     counts=counts, failures=failures, tests=tests, log_tail="\n".join(tail))


if __name__ == "__main__":
    print(dbt_vars_args(Settings.from_env())[1])
