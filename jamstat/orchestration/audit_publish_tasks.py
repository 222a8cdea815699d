"""What each transform_publish task does (write-audit-publish). The DAG file wires these; each is also
callable and tested without Airflow. Gate results are saved per run under warehouse/work/results/<run_id>/,
each with the sha256 of the candidate file it audited, so publish can refuse a run whose gates did not all
pass that exact file. The run holds the run lock (run_lock) from build_candidate until publish or
quarantine, so no other run rebuilds the candidate in between."""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from jamstat.orchestration import run_lock
from jamstat.settings import Settings, safe_run_id

log = logging.getLogger("jamstat.tasks")

GATE_ORDER = ("dbt", "freshness", "great_expectations", "soda")
KEEP_RESULTS = 20  # runs whose gate results stay in warehouse/work/results (reports keep the published ones)


class GateFailed(RuntimeError):
    """A quality gate found bad data or could not run. The message is the one-screen summary."""


def results_dir(settings: Settings, run_id: str) -> Path:
    path = settings.work_dir / "results" / safe_run_id(run_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_gate_result(settings: Settings, run_id: str, result: dict) -> dict:
    (results_dir(settings, run_id) / f"{result['gate']}.json").write_text(
        json.dumps(result, indent=2, default=str), encoding="utf-8")
    return result


def load_gate_results(settings: Settings, run_id: str) -> list[dict]:
    folder = results_dir(settings, run_id)
    found = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")}
    return [found[g] for g in GATE_ORDER if g in found] + [v for k, v in found.items() if k not in GATE_ORDER]


def _clean_leftovers(settings: Settings, run_id: str) -> None:
    """Under the run lock: what crashed runs left (unfinished publications, temporary files of interrupted
    ingests older than any task may run, old gate results)."""
    from jamstat.orchestration.dag_settings import TASK_TIMEOUT
    from jamstat.publish.publications import clean_leftovers
    from jamstat.transform.candidate import clean_stale_temp_files

    clean_leftovers(settings)
    clean_stale_temp_files(settings, older_than_s=TASK_TIMEOUT.total_seconds())
    runs = sorted((p for p in (settings.work_dir / "results").glob("*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in runs[:-KEEP_RESULTS]:
        if old.name != safe_run_id(run_id):
            shutil.rmtree(old, ignore_errors=True)


def build_candidate(run_id: str) -> dict:
    """Lock the warehouse for this run, clean crash leftovers, load a fresh candidate from committed batches,
    then one `dbt build` (models + data tests) and dbt source freshness: the dbt gate."""
    from jamstat.gates.candidate_reader import candidate_digest
    from jamstat.gates.dbt_tests import dbt_gate_result
    from jamstat.gates.report import summarize
    from jamstat.transform.candidate import prepare_candidate
    from jamstat.transform.dbt_runner import ensure_dbt_packages, run_dbt, run_pipeline_build

    settings = Settings.from_env()
    run_lock.acquire(settings, run_id)
    with run_lock.holding(settings, run_id):
        _clean_leftovers(settings, run_id)
        loaded = prepare_candidate(settings)
        if not loaded["batches"]:
            raise GateFailed("no committed batches in data/batches: run the ingest DAGs first (make run does both)")
        ensure_dbt_packages(settings)
        build = run_pipeline_build(settings)
        freshness = run_dbt(settings, "source freshness") if build.success else None
        result = dbt_gate_result(build, freshness, candidate_path=str(settings.candidate_path))
        result.candidate_sha256 = candidate_digest(settings.candidate_path)
        result.details["loaded"] = loaded
        save_gate_result(settings, run_id, result.to_dict())
    log.info(build.summary())
    if freshness is not None:
        log.info(freshness.summary())
    if not result.success:
        raise GateFailed(summarize([result]))
    return {"loaded": loaded, "dbt": build.counts, "elapsed_s": build.elapsed_s,
            "candidate_sha256": result.candidate_sha256}


def gate(name: str, run_id: str) -> dict:
    """Run one audit gate against the candidate (read-only) and record the sha256 of the file it audited; the
    result is saved whatever happens."""
    from jamstat.gates.candidate_reader import candidate_digest
    from jamstat.gates.report import summarize

    settings = Settings.from_env()
    checks_dir = settings.expectations_dir  # JAMSTAT_EXPECTATIONS_DIR, default expectations/
    try:
        with run_lock.holding(settings, run_id):
            before = candidate_digest(settings.candidate_path)
            result = _run_gate(name, settings, checks_dir).to_dict()
            if candidate_digest(settings.candidate_path) != before:
                result.update(success=False, error="the candidate file changed while this gate audited it")
            result["candidate_sha256"] = before
    except Exception as exc:  # noqa: BLE001 - a gate that cannot run fails like one that finds bad data
        result = {"gate": name, "success": False, "checks": [], "error": f"{type(exc).__name__}: {exc}"}
    result["gate"] = name
    save_gate_result(settings, run_id, result)
    if not result.get("success"):
        raise GateFailed(summarize([result]))
    return result


def _run_gate(name: str, settings: Settings, checks_dir: Path):
    if name == "freshness":
        from jamstat.gates.freshness import run_freshness_gate

        return run_freshness_gate(settings.candidate_path, config_path=checks_dir / "freshness.yml")
    if name == "great_expectations":
        from jamstat.gates.great_expectations import run_gx_gate

        previous = settings.published_path if settings.published_path.exists() else None
        return run_gx_gate(settings.candidate_path, gx_dir=checks_dir / "gx", previous_published_path=previous)
    if name == "soda":
        from jamstat.gates.soda import run_soda_gate

        return run_soda_gate(settings.candidate_path, contracts_dir=checks_dir / "soda")
    raise KeyError(f"unknown gate {name!r}; known: {', '.join(GATE_ORDER[1:])}")


def publish(run_id: str) -> dict:
    """Publish the audited candidate (refused unless every gate passed this exact file), write the run's
    quality report, and give the run lock up whatever happens."""
    from ingest.unit_failures import describe, failed_units
    from jamstat.gates.report import write_report
    from jamstat.publish.swap import publish as publish_candidate

    settings = Settings.from_env()
    try:
        with run_lock.holding(settings, run_id):
            results = load_gate_results(settings, run_id)
            missing = [g for g in GATE_ORDER if g not in {r["gate"] for r in results}]
            if missing:
                raise GateFailed(f"refusing to publish: no result recorded for gate(s) {missing}")
            failures = failed_units(settings.state_dir)
            summary = publish_candidate(settings, run_id=run_id, gate_results=results, failed_units=failures)
    finally:
        run_lock.release(settings, run_id)
    report_dir = settings.reports_dir / safe_run_id(run_id)
    report_dir.mkdir(parents=True, exist_ok=True)
    write_report(results, report_dir / "quality_report.md")
    (report_dir / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    summary["report"] = str(report_dir / "quality_report.md")
    log.info("PUBLISHED %s: %s; gates %s%s", summary["published_path"], json.dumps(summary["row_counts"]),
             json.dumps(summary["gate_verdicts"]),
             "; every mart is identical to the previous publication" if summary["identical_to_previous"] else "")
    for line in describe(failures):
        log.warning("published without fresh data of %s", line)
    return summary


def published_extra(summary: dict) -> dict:
    """What the jamstat_published Asset event carries: which publication, rows per mart, gate verdicts, whether
    anything changed, source modes and the ingest units it was published without."""
    return {"publication": Path(summary["publication"]).name, "run_id": summary["run_id"],
            "published_at": summary["published_at"], "rows_per_mart": summary["row_counts"],
            "gate_verdicts": summary["gate_verdicts"], "identical_to_previous": summary["identical_to_previous"],
            "source_modes": summary["source_modes"],
            "failed_units": [f"{f.get('source')}:{f.get('unit')}" for f in summary["failed_units"]]}


def publish_postgres() -> dict:
    """Optional: copy the published marts into PostgreSQL for BI. Without JAMSTAT_POSTGRES_URL the task did
    nothing, so it ends *skipped* with the reason (a green 'success' would claim a copy that never happened)."""
    from airflow.sdk.exceptions import AirflowSkipException

    from jamstat.serve.postgres import publish_if_configured

    result = publish_if_configured(Settings.from_env())
    if "skipped" in result:
        raise AirflowSkipException(f"{result['skipped']}: no PostgreSQL copy of the marts was made (set "
                                   "JAMSTAT_POSTGRES_URL to serve them to BI tools)")
    return result


def render_report(run_id: str) -> dict:
    """The follow-up web report of this publication, read from the published warehouse; `current` moves only
    when the whole site is written."""
    from jamstat.report.site import render_report as render

    index = render(Settings.from_env(), expected_run_id=run_id)
    log.info("REPORT %s", index)
    return {"index": str(index)}


def quarantine(run_id: str) -> dict:
    """After a failed gate: move the run's candidate and results to quarantine/<run_id>/, print the summary and
    give the run lock up. A run that never got the lock keeps its results only: the candidate is not its own."""
    from jamstat.gates.report import summarize, write_report
    from jamstat.publish.quarantine import quarantine as keep_candidate

    settings = Settings.from_env()
    results = load_gate_results(settings, run_id)
    text = summarize(results) if results else "no gate results were recorded (the build failed early)"
    try:
        with run_lock.holding(settings, run_id):
            target = keep_candidate(settings, run_id=run_id, results=results, report_md=text,
                                    candidate=settings.candidate_path)
    except run_lock.LockLost:
        target = keep_candidate(settings, run_id=run_id, results=results, report_md=text)
    finally:
        run_lock.release(settings, run_id)
    write_report(results, target / "quality_report.md")
    log.error("NOT PUBLISHED — the last good warehouse stays.\n%s\nCandidate and results kept in %s", text, target)
    return {"quarantine": str(target), "failed_gates": [r["gate"] for r in results if not r.get("success")]}
