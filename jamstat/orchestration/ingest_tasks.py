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
