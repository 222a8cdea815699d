"""A successful ingest (new or unchanged content) leaves a check marker; the candidate loads it as
raw.source_checks so freshness measures when a source was last confirmed, not when its content last changed."""
from __future__ import annotations

import json

import duckdb

from jamstat.orchestration import ingest_tasks as tasks
from jamstat.settings import Settings
from jamstat.transform import candidate as warehouse


def test_unchanged_refetch_records_a_newer_check(tmp_path, monkeypatch):
    monkeypatch.setenv("JAMSTAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JAMSTAT_WAREHOUSE_DIR", str(tmp_path / "wh"))
    monkeypatch.setenv("JAMSTAT_MODE", "replay")
    monkeypatch.delenv("JAMSTAT_REPLAY_URL", raising=False)
    settings = Settings.from_env()

    first = tasks.ingest_unit("kolada", "N21704", {"mode": "replay"}, "run-1")
    assert first["status"] == "loaded"
    marker = settings.state_dir / "checks" / "kolada" / "N21704.json"
    checked_1 = json.loads(marker.read_text())["checked_at"]

    second = tasks.ingest_unit("kolada", "N21704", {"mode": "replay"}, "run-2")
    assert second["status"] == "unchanged"
    record = json.loads(marker.read_text())
    assert record["run_id"] == "run-2" and record["status"] == "unchanged" and record["checked_at"] > checked_1
    assert record["batch_ids"] == [first["batch_id"]]

    skipped = tasks.ingest_unit("kolada", "N05816", {"mode": "replay"}, "run-2")
    assert skipped["status"] == "no_recorded_data"
    assert not (settings.state_dir / "checks" / "kolada" / "N05816.json").exists(), "no data is no check"

    warehouse.prepare_candidate(settings)
    with duckdb.connect(str(settings.candidate_path), read_only=True) as con:
        rows = con.execute("select source, unit, status, run_id from raw.source_checks").fetchall()
        fetched = con.execute("select max(fetched_at) from raw.batches").fetchone()[0]
        checked = con.execute("select max(checked_at) from raw.source_checks").fetchone()[0]
    assert rows == [("kolada", "N21704", "unchanged", "run-2")]
    assert checked > fetched
