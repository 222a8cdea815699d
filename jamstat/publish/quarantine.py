"""A candidate that failed a gate is kept with its results for inspection; nothing is published."""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from jamstat.settings import Settings, safe_run_id

log = logging.getLogger(__name__)


def quarantine(settings: Settings, *, run_id: str, results: list[dict], report_md: str | None = None,
               candidate: Path | None = None) -> Path:
    """Keep a failed candidate and all validation results under quarantine/<run_id>/ for inspection."""
    candidate = candidate or settings.candidate_path
    target = settings.quarantine_dir / safe_run_id(run_id)
    target.mkdir(parents=True, exist_ok=True)
    if candidate.exists():
        shutil.copy2(candidate, target / "candidate.duckdb")
    (target / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    if report_md:
        (target / "quality_report.md").write_text(report_md, encoding="utf-8")
    log.warning("candidate quarantined in %s", target)
    return target
