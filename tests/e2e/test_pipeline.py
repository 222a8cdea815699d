"""End to end through Airflow: `make run`'s runner in replay mode (real HTTP to the local replay server, real
DAG runs, real dbt build, real gates), then reruns, a known-bad candidate and a reader during publication.
Every test stands alone: the session's replay publication is only read; tests that run DAGs work on a copy."""
from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.support.pipeline import copy_pipeline, dags_test, published_path, run

pytestmark = pytest.mark.slow


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_make_run_publishes_real_values(replay_publication):
    out = replay_publication.stdout
    assert "SOURCE MODE: REPLAY" in out
    assert "published a new warehouse" in out
    assert "marts.fct_indicator_value" in out  # rows per mart are printed

    with duckdb.connect(str(published_path(replay_publication.env)), read_only=True) as con:
        values = dict(con.execute("""
            select f.sex, f.value from marts.fct_indicator_value f
            join marts.dim_indicator i using (indicator_id)
            where i.source_ref = 'N21704' and f.area_code = '0180' and f.period = '2023'""").fetchall())
        assert values == {"K": 25.688929, "M": 15.778849, "T": 21.88749}
        modes = json.loads(con.execute("select source_modes from marts.publications").fetchone()[0])
        assert modes == ["replay"]
        # Only marts are published: nothing raw, staging or intermediate is visible to readers.
        schemas = {r[0] for r in con.execute("select distinct schema_name from duckdb_tables()").fetchall()}
        assert schemas == {"marts"}


def test_fact_rows_trace_back_to_raw_payloads(replay_publication):
    data = Path(replay_publication.env["JAMSTAT_DATA_DIR"])
    with duckdb.connect(str(published_path(replay_publication.env)), read_only=True) as con:
        batch_ids = {r[0] for r in con.execute("select distinct batch_id from marts.fct_indicator_value").fetchall()}
    assert batch_ids and None not in batch_ids
    for batch_id in batch_ids:
        manifests = list(data.glob(f"batches/*/{batch_id}.json"))
        assert len(manifests) == 1, batch_id
        manifest = json.loads(manifests[0].read_text())
        assert manifest["mode"] == "replay" and manifest["responses"]
        for response in manifest["responses"]:
            raw = Path(response["path"])
            raw = raw if raw.is_absolute() else data / raw
            assert raw.exists(), response
            assert sha256(raw) == response["sha256"]
            # fetched from the local replay server, or (a bundled export) dropped into the landing folder
            assert response["url"].startswith("http://127.0.0.1:") or (
                manifest["source"] == "file" and response["url"].startswith((data / "landing").as_uri()))


def test_coverage_counts_every_real_payload_as_reaching_the_marts(replay_publication):
    """Every real SCB and Kolada recording a run requests, and every bundled export the catalog places, reaches
    fct_indicator_value; the exports it does not place are listed with the reason."""
    result = run([sys.executable, "-m", "jamstat", "coverage"], replay_publication.env)
    assert result.returncode == 0, result.stderr[-2000:]
    section = result.stdout.split("Real payloads")[1].splitlines()[1:-1]
    lines = {ln.split()[0]: ln for ln in section if ln.strip()}
    for name in ("scb_v2_atlas290/TAB638/6b027e59b71df045.json", "scb_v2_atlas290/TAB708/889b2aa761987dcf.json",
                 "scb_v2_atlas290/TAB4394/56502957d1303f62.json", "scb_v2_atlas290/TAB4394/981f7bdcad0566bb.json",
                 "scb/v2_TAB6471_data_folkmangd_manad_lan_kon.json", "scb/v1_HE0110_medianinkomst_riket_kon_jsonstat2.json",
                 "kolada/v3_data_kpi_N21704_year_2023_trimmed.json", "region-dalarna/eftergym.csv",
                 "region-dalarna/arbetsloshet.csv", "region-dalarna/sysselsatt.csv"):
        assert "reaches fct_indicator_value" in lines[name], lines[name]
    assert "6,960 fact rows (life_expectancy_women)" in lines["scb_v2_atlas290/TAB4394/56502957d1303f62.json"]
    not_placed = [ln for ln in lines.values() if "not placed:" in ln]
    assert len(not_placed) == 6 and all(ln.split("not placed: ")[1] for ln in not_placed)


def test_rerun_of_an_interval_is_a_no_op(replay_publication, tmp_path):
    """Re-running ingest for the same logical date (a rerun or backfill of that interval) lands nothing new:
    batches are content-addressed, so the batch set and every file's bytes stay the same."""
    env = copy_pipeline(replay_publication.env, tmp_path)
    batches = Path(env["JAMSTAT_DATA_DIR"]) / "batches"
    before = {p.relative_to(batches): sha256(p) for p in batches.rglob("*") if p.is_file()}
    for _ in range(2):
        result = dags_test(env, "ingest_scb", "2026-11-02")
        assert result.returncode == 0, result.stdout[-3000:]
    after = {p.relative_to(batches): sha256(p) for p in batches.rglob("*") if p.is_file()}
    assert after == before
    checks = json.loads((Path(env["JAMSTAT_DATA_DIR"]) / "state" / "checks" / "scb" /
                         "population_by_sex_age.json").read_text())
    assert checks["status"] == "unchanged", "the rerun confirmed the source without landing anything"


def _write_synthetic_batch(env, value: float) -> None:
    """SYNTHETIC fault-test batch: one Kolada row for N21704 with an impossible percent. Never real data."""
    folder = Path(env["JAMSTAT_DATA_DIR"]) / "batches" / "kolada"
    batch_id = "synthetic-fault-percent-over-100"
    now = datetime.now(UTC).replace(tzinfo=None).isoformat()
    (folder / f"{batch_id}.json").write_text(json.dumps({
        "batch_id": batch_id, "source": "kolada", "unit": "SYNTHETIC fault test", "source_refs": ["N21704"],
        "mode": "replay", "run_id": "synthetic", "fetched_at": now, "row_count": 1, "responses": [],
        "notes": ["SYNTHETIC: constructed by tests/e2e/test_pipeline.py to prove the gates block publication"]}))
    with duckdb.connect() as con:
        con.execute(f"""copy (select 'kolada' as source, 'N21704' as source_ref, '0180' as area_code,
            '2023' as period, 'K' as sex, {value}::double as value, null::varchar as status, '{{}}' as dims,
            false as is_deleted, '{batch_id}' as batch_id, '{now}'::timestamp as fetched_at)
            to '{folder / (batch_id + ".parquet")}' (format parquet)""")


def test_bad_candidate_is_not_published(replay_publication, tmp_path):
    env = copy_pipeline(replay_publication.env, tmp_path)
    before = sha256(published_path(env))
    _write_synthetic_batch(env, 120.0)
    result = dags_test(env, "transform_publish")
    assert result.returncode != 0, "a percent of 120 must fail the run"
    assert sha256(published_path(env)) == before, "published file must be byte-for-byte unchanged"
    quarantined = list((Path(env["JAMSTAT_WAREHOUSE_DIR"]) / "quarantine").glob("*/candidate.duckdb"))
    assert len(quarantined) == 1
    report = (quarantined[0].parent / "quality_report.md").read_text()
    assert "Verdict: **FAILED — not publishable**" in report
    # the report names the checks that caught the impossible percent, with the one failing row
    assert "- **FAIL** `gx:fct_indicator_value:expect_column_values_to_be_between(value) [percent 0-100]` — 1 row(s)" \
        in report
    assert "- **FAIL** `soda:fct_indicator_value:invalid(value) percent value within 0-100` — 1 row(s)" in report


def test_good_run_publishes_while_a_reader_holds_the_old_file(replay_publication, tmp_path):
    env = copy_pipeline(replay_publication.env, tmp_path)
    reader = duckdb.connect(str(published_path(env)), read_only=True)
    try:
        old_runs = reader.execute("select count(*) from marts.publications").fetchone()[0]
        old_rows = reader.execute("select count(*) from marts.fct_indicator_value").fetchone()[0]
        result = dags_test(env, "transform_publish")
        assert result.returncode == 0, result.stdout[-3000:]
        # The reader still sees its consistent snapshot (old inode) ...
        assert reader.execute("select count(*) from marts.publications").fetchone()[0] == old_runs
        assert reader.execute("select count(*) from marts.fct_indicator_value").fetchone()[0] == old_rows
    finally:
        reader.close()
    # ... and a new reader sees the new publication.
    with duckdb.connect(str(published_path(env)), read_only=True) as con:
        assert con.execute("select count(*) from marts.publications").fetchone()[0] == old_runs + 1
