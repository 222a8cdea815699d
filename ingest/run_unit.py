"""Run ingest units the one way both the DAG tasks and `jamstat ingest` do: resolve the base URLs for the
mode (a replay server on 127.0.0.1 in replay mode), ingest, and record the outcome: the successful source
check (the observation log that orders latest-wins, and the latest check the freshness gate reads), or the
failure that the summaries and the publication record name."""
from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from ingest.batch_log import read_retractions, record_check
from ingest.modes import source_base_urls
from ingest.registry import source
from ingest.unit_failures import clear_failure, record_failure
from jamstat.settings import Settings

log = logging.getLogger("jamstat.ingest")

CONFIRMED = ("loaded", "unchanged")   # statuses that confirm the source answered


def run_units(source_name: str, units: Iterable[str], *, mode: str, run_id: str,
              settings: Settings) -> Iterator[tuple[str, dict[str, Any] | None, Exception | None]]:
    """(unit, summary, error) per unit; one failing unit does not stop the others."""
    src = source(source_name)
    with source_base_urls(mode, settings) as urls:
        for unit in units:
            try:
                summary = ingest_one(src, unit, mode=mode, base_urls=urls, run_id=run_id, settings=settings)
            except BaseException as exc:  # a task timeout is a BaseException: it is recorded, then propagates
                record_failure(settings.state_dir, source=src.batch_source, unit=unit, run_id=run_id, mode=mode,
                               error=exc)
                if not isinstance(exc, Exception):
                    raise
                yield unit, None, exc
            else:
                yield unit, summary, None


def run_unit(source_name: str, unit: str, *, mode: str, run_id: str, settings: Settings) -> dict[str, Any]:
    """One unit; raises (naming the unit) on error."""
    for _, summary, error in run_units(source_name, [unit], mode=mode, run_id=run_id, settings=settings):
        if error is not None:
            raise error
        return summary
    raise AssertionError("unreachable")


def ingest_one(src, unit: str, *, mode: str, base_urls: dict[str, str], run_id: str,
               settings: Settings) -> dict[str, Any]:
    summary = src.ingest(unit, mode=mode, base_urls=base_urls, run_id=run_id, settings=settings)
    if summary.get("status") in CONFIRMED:
        batch_ids = summary.get("batch_ids") or ([summary["batch_id"]] if summary.get("batch_id") else [])
        record_check(settings.state_dir, source=src.batch_source, unit=unit, status=summary["status"],
                     batch_ids=batch_ids, mode=mode, run_id=run_id, snapshot=summary.get("snapshot", "incremental"))
        clear_failure(settings.state_dir, source=src.batch_source, unit=unit)
        retracted = {r["batch_id"]: r for r in read_retractions(settings.state_dir)}
        for bid in batch_ids:
            if bid in retracted:
                log.warning("%s %s: the source sent batch %s again, which was retracted (%s); it stays out of the "
                            "marts", src.name, unit, bid, retracted[bid].get("reason"))
    return summary
