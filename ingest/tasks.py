"""What each Airflow task does. DAG files only wire these functions; each one is also callable (and tested)
without Airflow. Heavy imports stay inside the functions so DAG parsing stays fast."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from ingest.config import Settings, source_base_urls

log = logging.getLogger("jamstat.tasks")

GATE_ORDER = ("dbt", "freshness", "great_expectations", "soda")


class GateFailed(RuntimeError):
    """A quality gate found bad data or could not run. The message is the one-screen summary."""


# --- ingest -----------------------------------------------------------------------------------------------

def resolve_mode() -> dict:
    """Resolve JAMSTAT_MODE (auto probes the live hosts) once per DAG run; every task of the run uses it."""
    from ingest import units

    settings = Settings.from_env()
    mode = units.resolve_mode(settings)
    banner = f"SOURCE MODE: {mode.upper()} (JAMSTAT_MODE={settings.mode})"
    log.warning("%s\n%s\n%s", "=" * len(banner), banner, "=" * len(banner))
    return {"mode": mode, "requested": settings.mode}


def plan(source: str) -> list[str]:
    """The units (KPI ids, SCB table specs, dropped files) the catalog asks for."""
    from ingest import units

    settings = Settings.from_env()
    planned = {"kolada": units.plan_kolada, "scb": units.plan_scb, "files": units.plan_file_drops}[source](settings)
    log.info("%s: %d units planned: %s", source, len(planned), ", ".join(planned[:30]))
    return planned


def ingest_unit(source: str, unit: str, run: dict, run_id: str) -> dict:
    """Fetch one unit and land it as one batch. Raises (naming the unit) on error; returns a summary."""
    from ingest import units

    settings = Settings.from_env()
    fn = {"kolada": units.ingest_kolada_kpi, "scb": units.ingest_scb_table, "files": units.ingest_file_drop}[source]
    with source_base_urls(run["mode"], settings) as urls:
        summary = fn(unit, mode=run["mode"], base_urls=urls, run_id=run_id, settings=settings)
    if summary.get("status") in ("loaded", "unchanged"):
        from ingest.landing import record_check

        batch_ids = summary.get("batch_ids") or ([summary["batch_id"]] if summary.get("batch_id") else [])
        record_check(settings.state_dir, source=source if source != "files" else "file", unit=unit,
                     status=summary["status"], batch_ids=batch_ids, mode=run["mode"], run_id=run_id)
    log.info("%s %s: %s", source, unit, json.dumps(summary, default=str))
    return summary


def summarize_ingest(source: str, results: list[dict | None]) -> dict:
    """One line per status; the counts go to XCom and the log."""
    results = [r for r in results if r]
    by_status: dict[str, list[str]] = {}
    for r in results:
        by_status.setdefault(r.get("status", "?"), []).append(str(r.get("unit") or r.get("kpi") or r.get("spec")))
    rows = sum(int(r.get("rows") or 0) for r in results if r.get("status") == "loaded")
    for status, unit_names in sorted(by_status.items()):
        log.info("%s %-18s %3d  %s", source, status, len(unit_names), ", ".join(unit_names[:20]))
    return {"source": source, "units": len(results), "rows_loaded": rows,
            "by_status": {k: len(v) for k, v in by_status.items()}}


# --- transform, gates, publish ------------------------------------------------------------------------------

def results_dir(settings: Settings, run_id: str) -> Path:
    from ingest.publish import safe_run_id

    path = settings.warehouse_dir / "work" / "results" / safe_run_id(run_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save_gate(settings: Settings, run_id: str, result: dict) -> dict:
    (results_dir(settings, run_id) / f"{result['gate']}.json").write_text(
        json.dumps(result, indent=2, default=str), encoding="utf-8")
    return result


def load_gate_results(settings: Settings, run_id: str) -> list[dict]:
    folder = results_dir(settings, run_id)
    found = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")}
    return [found[g] for g in GATE_ORDER if g in found] + [v for k, v in found.items() if k not in GATE_ORDER]


def _gate_dict(result) -> dict:
    if isinstance(result, dict):
        return result
    if hasattr(result, "to_dict"):
        return result.to_dict()
    from dataclasses import asdict

    return asdict(result)


def _raise_if_failed(result: dict) -> dict:
    if not result.get("success"):
        from ingest import quality

        raise GateFailed(quality.summarize([result]))
    return result


def build_candidate(run_id: str) -> dict:
    """Fresh candidate from committed batches, then one `dbt build` (models + dbt tests). Gate 1."""
    from ingest import warehouse

    settings = Settings.from_env()
    loaded = warehouse.prepare_candidate(settings)
    if not loaded["batches"]:
        raise GateFailed("no committed batches in data/batches: run the ingest DAGs first (make run does both)")
    warehouse.ensure_dbt_packages(settings)
    dbt = warehouse.run_dbt(settings, "build")
    freshness = warehouse.run_dbt(settings, "source freshness") if dbt.success else None
    messages = {f["node"]: f["message"] for f in dbt.failures}
    checks = [{"check": t["node"], "success": t["status"] in ("pass", "warn"), "status": t["status"],
               "observed": messages.get(t["node"], t["status"]), "failing_rows": t.get("failures"),
               "expected": "pass"} for t in dbt.tests]
    checks += [{"check": f["node"], "success": False, "status": f["status"], "observed": f["message"],
                "expected": "success"} for f in dbt.failures if not f["node"].startswith(("test.", "unit_test."))]
    if freshness is not None:  # dbt's own per-source freshness (content age; limits in dbt vars)
        checks += [{"check": f"freshness:{t['node']}", "success": t["status"] in ("pass", "warn"),
                    "status": t["status"], "observed": t["status"], "expected": "pass or warn"}
                   for t in freshness.tests]
        if not freshness.tests and not freshness.success:
            checks.append({"check": "dbt source freshness", "success": False, "status": "error",
                           "observed": freshness.log_tail[-500:], "expected": "success"})
    success = dbt.success and (freshness is None or freshness.success) and all(c["success"] for c in checks)
    result = {"gate": "dbt", "success": success, "checks": checks, "counts": dbt.counts,
              "error": None if dbt.success or checks else dbt.log_tail[-2000:], "duration_s": dbt.elapsed_s,
              "loaded": loaded}
    _save_gate(settings, run_id, result)
    log.info(dbt.summary())
    if freshness is not None:
        log.info(freshness.summary())
    if not success:
        raise GateFailed(dbt.summary() + ("\n" + freshness.summary() if freshness else ""))
    return {"loaded": loaded, "dbt": dbt.counts, "elapsed_s": dbt.elapsed_s}


def gate(name: str, run_id: str) -> dict:
    """Run one audit gate against the candidate (read-only); its result is saved whatever happens."""
    from ingest import quality

    settings = Settings.from_env()
    checks_dir = settings.expectations_dir  # JAMSTAT_EXPECTATIONS_DIR, default expectations/
    runners = {
        "freshness": lambda: quality.run_freshness_gate(settings.candidate_path,
                                                        config_path=checks_dir / "freshness.yml"),
        "great_expectations": lambda: quality.run_gx_gate(
            settings.candidate_path, gx_dir=checks_dir / "gx",
            previous_published_path=settings.published_path if settings.published_path.exists() else None),
        "soda": lambda: quality.run_soda_gate(settings.candidate_path, contracts_dir=checks_dir / "soda"),
    }
    try:
        result = _gate_dict(runners[name]())
    except Exception as exc:  # noqa: BLE001 - a gate that cannot run fails like one that finds bad data
        result = {"gate": name, "success": False, "checks": [], "error": f"{type(exc).__name__}: {exc}"}
    result["gate"] = name
    _save_gate(settings, run_id, result)
    return _raise_if_failed(result)


def publish(run_id: str) -> dict:
    """Swap the audited candidate in as the published warehouse and write the run's quality report."""
    from ingest import publish as publisher
    from ingest import quality

    settings = Settings.from_env()
    results = load_gate_results(settings, run_id)
    missing = [g for g in GATE_ORDER if g not in {r["gate"] for r in results}]
    if missing:
        raise GateFailed(f"refusing to publish: no result recorded for gate(s) {missing}")
    summary = publisher.publish(settings, run_id=run_id, gate_results=results)
    report_dir = settings.reports_dir / publisher.safe_run_id(run_id)
    report_dir.mkdir(parents=True, exist_ok=True)
    quality.write_report(results, report_dir / "quality_report.md")
    (report_dir / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    summary["report"] = str(report_dir / "quality_report.md")
    log.info("PUBLISHED %s: %s", summary["published_path"], json.dumps(summary["row_counts"]))
    return summary


def publish_postgres() -> dict:
    """Optional: copy the published marts into PostgreSQL for BI (a no-op unless JAMSTAT_POSTGRES_URL is set)."""
    from ingest.serve_postgres import publish_if_configured

    return publish_if_configured(Settings.from_env())


def quarantine(run_id: str) -> dict:
    """After a failed gate: keep candidate + results under quarantine/<run_id>/ and print the summary."""
    from ingest import publish as publisher
    from ingest import quality

    settings = Settings.from_env()
    results = load_gate_results(settings, run_id)
    text = quality.summarize(results) if results else "no gate results were recorded (the build failed early)"
    target = publisher.quarantine(settings, run_id=run_id, results=results, report_md=text)
    quality.write_report(results, target / "quality_report.md")
    log.error("NOT PUBLISHED — the last good warehouse stays.\n%s\nCandidate and results kept in %s", text, target)
    return {"quarantine": str(target), "failed_gates": [r["gate"] for r in results if not r.get("success")]}
