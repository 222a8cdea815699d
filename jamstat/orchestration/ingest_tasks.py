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


SKIP_REASON = "no recorded payload in replay mode"
LABEL_NAME_CHARS = 40


def unit_label(source: str, unit: str) -> str:
    """What the grid shows for one mapped fetch: the unit, the catalog indicator(s) it feeds and a short name
    ('N00945 temporary_parental_benefit_share_men: Temporary parental benefit days taken by men, share')."""
    from ingest.catalog import load_catalog

    rows = [i for i in load_catalog() if unit in (i.indicator_id, i.source_ref) and i.source != "file"]
    if not rows:
        return unit
    name = rows[0].get("indicator_name_en") or rows[0].name_sv
    short = name if len(name) <= LABEL_NAME_CHARS else name[:LABEL_NAME_CHARS - 1].rstrip() + "…"
    ids = ", ".join(dict.fromkeys(i.indicator_id for i in rows if i.indicator_id != unit))
    return " ".join(p for p in (unit, ids) if p) + f": {short}"


def summarize_ingest(source: str, planned: list[str], results: list[dict | None], run_id: str,
                     mode: str | None = None) -> dict:
    """The run-level summary: units loaded / unchanged / skipped (and why) / failed, batch ids and rows. Runs
    whatever the fetches did, so the source's Asset announces what was committed even when some units failed."""
    from ingest.registry import source as registered_source
    from ingest.unit_failures import describe, failed_units, forget_unplanned

    settings = Settings.from_env()
    batch_source = registered_source(source).batch_source
    forget_unplanned(settings.state_dir, source=batch_source, planned=planned)
    results = [r for r in results if r]
    by_status: dict[str, list[str]] = {}
    for r in results:
        by_status.setdefault(r.get("status", "?"), []).append(_unit_of(r))
    failed = [f for f in failed_units(settings.state_dir) if f["source"] == batch_source and f["run_id"] == run_id]
    if failed:
        by_status["failed"] = [f["unit"] for f in failed]
    answered = {u for units in by_status.values() for u in units}
    silent = [u for u in planned if u not in answered]
    skip_reason = SKIP_REASON if mode == "replay" else "no result (the task was skipped or did not run)"
    summary = {"source": source, "mode": mode, "units": len(planned),
               "rows_loaded": sum(int(r.get("rows") or 0) for r in results if r.get("status") == "loaded"),
               "by_status": {k: len(v) for k, v in by_status.items()},
               "units_by_status": by_status, "skipped": {"units": silent, "reason": skip_reason} if silent else None,
               "batches": {_unit_of(r): {"batch_id": r.get("batch_id"), "rows": r.get("rows"),
                                         "status": r.get("status")} for r in results if r.get("batch_id")},
               "failed": describe(failed)}
    log.info("%s", "\n".join(run_summary_lines(summary)))  # one record: make run echoes it whole
    for line in summary["failed"]:
        log.error("FAILED %s", line)
    return summary


def _unit_of(result: dict) -> str:
    return str(result.get("unit") or result.get("kpi") or result.get("spec"))


def run_summary_lines(summary: dict) -> list[str]:
    """The record task's log: one line per outcome, naming the units (the first 20) and why any were skipped."""
    lines = [f"RUN SUMMARY ingest_{summary['source']} (source mode {summary.get('mode') or '?'}): "
             f"{summary['units']} unit(s) planned, {summary['rows_loaded']} row(s) loaded"]
    for status, units in sorted(summary["units_by_status"].items()):
        lines.append(f"  {status:<18} {len(units):3d}  {', '.join(units[:20])}{' …' if len(units) > 20 else ''}")
    if skipped := summary.get("skipped"):
        units = skipped["units"]
        lines.append(f"  {'skipped':<18} {len(units):3d}  {skipped['reason']}: {', '.join(units[:20])}"
                     + (" …" if len(units) > 20 else ""))
    if not summary["units"]:
        lines.append("  nothing planned: no unit to fetch in this run")
    return lines


def asset_extra(summary: dict) -> dict:
    """What the source's Asset event carries (the Assets view and transform_publish's triggering event show it):
    source mode, rows, batch ids per unit, and the units per outcome."""
    skipped = summary.get("skipped") or {}
    return {"source": summary["source"], "source_mode": summary.get("mode"), "units_planned": summary["units"],
            "rows_loaded": summary["rows_loaded"], "by_status": summary["by_status"],
            "loaded": summary["units_by_status"].get("loaded", []),
            "unchanged": summary["units_by_status"].get("unchanged", []),
            "skipped": skipped.get("units", []), "skipped_reason": skipped.get("reason"),
            "failed": summary["failed"], "batches": summary["batches"]}


def verify_units(summary: dict) -> dict:
    """Fail (after `record` has announced what was committed) when any unit of the run failed, so the DAG run
    shows the failure; the message names each failed unit and how stale its data is."""
    if summary.get("failed"):
        raise UnitsFailed(f"{len(summary['failed'])} {summary['source']} unit(s) failed; the others were "
                          "committed and transform_publish builds from them:\n  " + "\n  ".join(summary["failed"]))
    return summary


class UnitsFailed(RuntimeError):
    """Some units of an ingest run failed (each already failed its own task)."""
