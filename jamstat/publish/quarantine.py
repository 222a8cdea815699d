"""A candidate that failed a gate is kept with its results for inspection; nothing is published. Only the
newest `Settings.keep_quarantined` quarantined runs are kept (each holds a full DuckDB file)."""
from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from jamstat.settings import Settings, safe_run_id

log = logging.getLogger(__name__)


def quarantine(settings: Settings, *, run_id: str, results: list[dict], report_md: str | None = None,
               candidate: Path | None = None) -> Path:
    """Move a failed candidate and all validation results to quarantine/<run_id>/; drop the oldest beyond N.

    `candidate=None` keeps results only (a run that never built its own candidate)."""
    target = settings.quarantine_dir / safe_run_id(run_id)
    target.mkdir(parents=True, exist_ok=True)
    if candidate is not None and candidate.exists():
        os.replace(candidate, target / "candidate.duckdb")
        wal = candidate.with_name(candidate.name + ".wal")
        if wal.exists():  # an interrupted build: keep what DuckDB had not checkpointed
            os.replace(wal, target / "candidate.duckdb.wal")
    (target / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    if report_md:
        (target / "quality_report.md").write_text(report_md, encoding="utf-8")
    kept = sorted((p for p in settings.quarantine_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in kept[:-settings.keep_quarantined]:
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
            log.info("dropped old quarantine %s (JAMSTAT_KEEP_QUARANTINED=%d)", old.name, settings.keep_quarantined)
    log.warning("candidate quarantined in %s", target)
    return target
