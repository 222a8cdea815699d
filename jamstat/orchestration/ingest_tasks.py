"""What each ingest DAG task does. The DAG wiring (ingest_dag.py) calls these; each is also callable and
tested without Airflow. Heavy imports stay inside the functions so DAG parsing stays fast."""
from __future__ import annotations

import json
import logging

from jamstat.settings import Settings

log = logging.getLogger("jamstat.tasks")


def resolve_mode() -> dict:
    """Resolve JAMSTAT_MODE (auto probes the live hosts) once per DAG run; every task of the run uses it."""
    from ingest.modes import resolve_mode as resolve

    settings = Settings.from_env()
    mode = resolve(settings)
    banner = f"SOURCE MODE: {mode.upper()} (JAMSTAT_MODE={settings.mode})"
    log.warning("%s\n%s\n%s", "=" * len(banner), banner, "=" * len(banner))
    return {"mode": mode, "requested": settings.mode}


def plan(source: str) -> list[str]:
    """The units (KPI ids, SCB table specs, dropped files) the catalog or the landing folder asks for."""
    from ingest.registry import source as registered_source

    planned = registered_source(source).plan(Settings.from_env())
    log.info("%s: %d units planned: %s", source, len(planned), ", ".join(planned[:30]))
    return planned


def ingest_unit(source: str, unit: str, run: dict, run_id: str) -> dict:
    """Fetch one unit and land it as one batch. Raises (naming the unit) on error; returns a summary."""
    from ingest.run_unit import run_unit

    summary = run_unit(source, unit, mode=run["mode"], run_id=run_id, settings=Settings.from_env())
    log.info("%s %s: %s", source, unit, json.dumps(summary, default=str))
    return summary


def summarize_ingest(source: str, planned: list[str], results: list[dict | None], run_id: str) -> dict:
    """One line per status, and the units that failed in this run (each failed its own task). Runs whatever
    the fetches did, so the source's Asset announces what was committed even when some units failed."""
    from ingest.registry import source as registered_source
    from ingest.unit_failures import describe, failed_units, forget_unplanned

    settings = Settings.from_env()
    batch_source = registered_source(source).batch_source
    forget_unplanned(settings.state_dir, source=batch_source, planned=planned)
    results = [r for r in results if r]
    by_status: dict[str, list[str]] = {}
    for r in results:
        by_status.setdefault(r.get("status", "?"), []).append(str(r.get("unit") or r.get("kpi") or r.get("spec")))
    failed = [f for f in failed_units(settings.state_dir) if f["source"] == batch_source and f["run_id"] == run_id]
    if failed:
        by_status["failed"] = [f["unit"] for f in failed]
    answered = {u for units in by_status.values() for u in units}
    silent = [u for u in planned if u not in answered]
    rows = sum(int(r.get("rows") or 0) for r in results if r.get("status") == "loaded")
    for status, unit_names in sorted(by_status.items()):
        log.info("%s %-18s %3d  %s", source, status, len(unit_names), ", ".join(unit_names[:20]))
    if silent:
        log.info("%s %-18s %3d  %s", source, "skipped/no result", len(silent), ", ".join(silent[:20]))
    for line in describe(failed):
        log.error("FAILED %s", line)
    return {"source": source, "units": len(planned), "rows_loaded": rows,
            "by_status": {k: len(v) for k, v in by_status.items()}, "failed": describe(failed)}


def verify_units(summary: dict) -> dict:
    """Fail (after `record` has announced what was committed) when any unit of the run failed, so the DAG run
    shows the failure; the message names each failed unit and how stale its data is."""
    if summary.get("failed"):
        raise UnitsFailed(f"{len(summary['failed'])} {summary['source']} unit(s) failed; the others were "
                          "committed and transform_publish builds from them:\n  " + "\n  ".join(summary["failed"]))
    return summary


class UnitsFailed(RuntimeError):
    """Some units of an ingest run failed (each already failed its own task)."""
