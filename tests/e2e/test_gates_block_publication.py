"""Write-audit-publish through the real transform_publish DAG: each kind of bad candidate fails the run, names
the gate that stopped it, is quarantined, and leaves the published warehouse byte-for-byte unchanged.

All damage here is SYNTHETIC, applied to a copy of a real replay run's data directory; never published."""
from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.support.pipeline import REPO, copy_pipeline, dags_test

pytestmark = pytest.mark.slow


@pytest.fixture
def published_env(replay_publication):
    return replay_publication.env


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _damaged_copy(env: dict, tmp_path: Path) -> dict:
    return copy_pipeline(env, tmp_path)


def _synthetic_row(data: Path, area: str) -> None:
    """SYNTHETIC: one Kolada N21704 row for an area code that does not exist."""
    folder = data / "batches" / "kolada"
    now = datetime.now(UTC).replace(tzinfo=None)
    batch_id = "synthetic-unknown-area"
    (folder / f"{batch_id}.json").write_text(json.dumps({
        "batch_id": batch_id, "source": "kolada", "unit": "SYNTHETIC fault test", "source_refs": ["N21704"],
        "mode": "replay", "run_id": "synthetic", "fetched_at": now.isoformat(), "row_count": 1, "responses": [],
        "notes": ["SYNTHETIC"]}))
    with duckdb.connect() as con:
        con.execute(f"""copy (select 'kolada' as source, 'N21704' as source_ref, '{area}' as area_code,
            '2023' as period, 'K' as sex, 20.0::double as value, null::varchar as status, '{{}}' as dims,
            false as is_deleted, '{batch_id}' as batch_id, '{now}'::timestamp as fetched_at)
            to '{folder / (batch_id + ".parquet")}' (format parquet)""")


def _age_everything(data: Path, days: int) -> None:
    """SYNTHETIC: pretend every batch was fetched and every source last checked `days` ago."""
    old = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    for f in [*data.glob("batches/*/*.json"), *data.glob("state/checks/*/*.json")]:
        doc = json.loads(f.read_text())
        doc["fetched_at" if "fetched_at" in doc else "checked_at"] = old
        f.write_text(json.dumps(doc))


def _drop_life_expectancy_batches(data: Path) -> None:
    """SYNTHETIC: lose the SCB life-expectancy batches (TAB4394), most of the fact rows (a truncated upstream).
    The other SCB batches stay, so the source itself is not empty."""
    dropped = 0
    for manifest in data.glob("batches/scb/*.json"):
        if any("TAB4394" in ref for ref in json.loads(manifest.read_text())["source_refs"]):
            manifest.with_suffix(".parquet").unlink()
            manifest.unlink()
            dropped += 1
    assert dropped


def _expectations_without(env: dict, *parts: str) -> None:
    """A copy of expectations/ without `parts` (a file or folder), used by this run only."""
    checks = Path(env["JAMSTAT_DATA_DIR"]) / "expectations"
    shutil.copytree(REPO / "expectations", checks, ignore=shutil.ignore_patterns(*parts))
    env["JAMSTAT_EXPECTATIONS_DIR"] = str(checks)


CASES = {
    # case: (damage, gate expected to stop it)
    "unknown municipality code": (lambda env: _synthetic_row(Path(env["JAMSTAT_DATA_DIR"]), "9999"), "dbt"),
    "mart lost most of its rows": (lambda env: _drop_life_expectancy_batches(Path(env["JAMSTAT_DATA_DIR"])),
                                   "great_expectations"),
    "stale data past its limit": (lambda env: _age_everything(Path(env["JAMSTAT_DATA_DIR"]), 60), "freshness"),
    "a gate that crashes": (lambda env: _expectations_without(env, "soda"), "soda"),
    "no freshness limits for dbt": (lambda env: _expectations_without(env, "freshness.yml"), "dbt"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_candidate_blocks_publication(published_env, tmp_path, case):
    damage, gate = CASES[case]
    published = Path(published_env["JAMSTAT_WAREHOUSE_DIR"]) / "jamstat.duckdb"
    before = _sha(published)
    env = _damaged_copy(published_env, tmp_path)
    damage(env)
    result = dags_test(env, "transform_publish")
    assert result.returncode != 0, f"{case}: the run must fail"
    assert _sha(published) == before, f"{case}: published file must be byte-for-byte unchanged"
    quarantine = max((Path(env["JAMSTAT_WAREHOUSE_DIR"]) / "quarantine").glob("*/results.json"),
                     key=lambda p: p.stat().st_mtime)
    failed = {r["gate"] for r in json.loads(quarantine.read_text()) if not r["success"]}
    assert gate in failed, f"{case}: expected gate {gate} to fail, failed: {failed}"
    assert (quarantine.parent / "candidate.duckdb").exists()
    assert "NOT PUBLISHED" in result.stdout + result.stderr
