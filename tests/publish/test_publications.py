"""Publication directories: the database and its Parquet exports switch together, only the audited file is
published, readers keep a consistent view, and leftovers and old generations are cleaned. Candidates here are
SYNTHETIC DuckDB files built in code (one small mart), never real data."""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from jamstat.gates.candidate_reader import candidate_digest
from jamstat.publish import publications
from jamstat.publish.quarantine import quarantine
from jamstat.publish.swap import PublishError, publish
from jamstat.settings import Settings


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("JAMSTAT_WAREHOUSE_DIR", str(tmp_path / "wh"))
    monkeypatch.setenv("JAMSTAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JAMSTAT_KEEP_PUBLICATIONS", "2")
    monkeypatch.setenv("JAMSTAT_KEEP_QUARANTINED", "2")
    return Settings.from_env()


def synthetic_candidate(path: Path, version: int) -> Path:
    """SYNTHETIC candidate: marts.fct_synthetic holds `version` rows whose value is the version."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema raw")
        con.execute("create table raw.batches as select 'replay' as mode")
        con.execute(f"create table marts.fct_synthetic as select range as id, {version}::double as value "
                    f"from range({version})")
    return path


def audited(path: Path, digest: str | None = None) -> list[dict]:
    digest = digest or candidate_digest(path)
    return [{"gate": g, "success": True, "checks": [{"check": "c", "success": True}], "candidate_sha256": digest}
            for g in ("dbt", "freshness", "great_expectations", "soda")]


def published_version(settings: Settings) -> tuple[int, int]:
    """(version in the database, version in the Parquet exports) as a reader of the stable paths sees them."""
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        in_db = con.execute("select max(value)::int from marts.fct_synthetic").fetchone()[0]
        in_parquet = con.execute("select max(value)::int from read_parquet(?)",
                                 [str(settings.exports_dir / "current" / "fct_synthetic.parquet")]).fetchone()[0]
    return in_db, in_parquet


def test_database_and_exports_switch_together_and_readers_keep_their_view(settings):
    cand = synthetic_candidate(settings.candidate_path, 1)
    publish(settings, run_id="run-1", gate_results=audited(cand))
    assert published_version(settings) == (1, 1)
    assert os.readlink(settings.published_path) == "current/jamstat.duckdb"
    assert os.readlink(settings.exports_dir / "current") == "../current/exports"
    reader = duckdb.connect(str(settings.published_path), read_only=True)

    cand = synthetic_candidate(settings.candidate_path, 2)
    summary = publish(settings, run_id="run-2", gate_results=audited(cand))
    assert published_version(settings) == (2, 2)
    assert reader.execute("select max(value) from marts.fct_synthetic").fetchone()[0] == 1  # its old snapshot
    reader.close()
    assert summary["candidate_sha256"] == candidate_digest(cand)
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        rows = con.execute("select run_id, candidate_sha256 from marts.publications order by published_at").fetchall()
    assert [r[0] for r in rows] == ["run-1", "run-2"] and rows[1][1] == candidate_digest(cand)
    current = publications.current_publication(settings)
    assert (current / "jamstat.duckdb").stat().st_mode & 0o777 == 0o444, "published files are read-only"


@pytest.mark.parametrize("tamper", ["different digests", "missing digest", "changed after audit"])
def test_publish_refuses_a_candidate_the_gates_did_not_audit(settings, tamper):
    cand = synthetic_candidate(settings.candidate_path, 1)
    publish(settings, run_id="good", gate_results=audited(cand))
    cand = synthetic_candidate(settings.candidate_path, 2)
    results = audited(cand)
    if tamper == "different digests":
        results[2]["candidate_sha256"] = "0" * 64
    elif tamper == "missing digest":
        del results[3]["candidate_sha256"]
    else:
        synthetic_candidate(settings.candidate_path, 3)  # another writer rebuilt it after the audit
    with pytest.raises(PublishError, match="refusing to publish run bad"):
        publish(settings, run_id="bad", gate_results=results)
    assert published_version(settings) == (1, 1)
    assert not list(settings.publications_dir.glob(".*.tmp")), "a refused publication leaves nothing behind"


def test_old_publications_are_dropped_but_never_the_current_one(settings):
    for v in range(1, 5):
        publish(settings, run_id=f"run-{v}", gate_results=audited(synthetic_candidate(settings.candidate_path, v)))
    kept = sorted(p.name.split("_", 1)[1] for p in settings.publications_dir.iterdir())
    assert kept == ["run-3", "run-4"]  # JAMSTAT_KEEP_PUBLICATIONS=2
    assert publications.current_publication(settings).name.endswith("run-4")


def test_a_warehouse_of_the_old_layout_is_adopted_without_a_gap(settings):
    """Before publication directories: a regular jamstat.duckdb and exports/<generation>/ behind exports/current."""
    wh = settings.warehouse_dir
    old = synthetic_candidate(wh / "old.duckdb", 7)
    with duckdb.connect(str(old)) as con:
        con.execute("create table marts.publications as select 'legacy-run' as run_id, now()::timestamp as published_at")
    os.replace(old, settings.published_path)
    (wh / "exports" / "run_legacy").mkdir(parents=True)
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        con.execute(f"copy marts.fct_synthetic to '{wh / 'exports' / 'run_legacy' / 'fct_synthetic.parquet'}'")
    os.symlink("run_legacy", wh / "exports" / "current")
    assert published_version(settings) == (7, 7)

    publish(settings, run_id="run-new", gate_results=audited(synthetic_candidate(settings.candidate_path, 8)))
    assert published_version(settings) == (8, 8)
    assert not (wh / "exports" / "run_legacy").exists()
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        runs = [r[0] for r in con.execute("select run_id from marts.publications order by published_at").fetchall()]
    assert runs == ["legacy-run", "run-new"], "the audit trail is carried forward"


def test_crash_leftovers_are_cleaned(settings):
    publish(settings, run_id="run-1", gate_results=audited(synthetic_candidate(settings.candidate_path, 1)))
    staged = publications.stage(settings, "crashed", datetime(2026, 1, 1))
    (staged.exports / "half.parquet").write_bytes(b"SYNTHETIC half-written")
    (settings.warehouse_dir / ".current.link.tmp").symlink_to("publications/nowhere")
    (settings.warehouse_dir / ".jamstat.duckdb.run_old.tmp").write_bytes(b"SYNTHETIC old-style leftover")
    (settings.warehouse_dir / ".jamstat.duckdb.run_old.tmp.wal").write_bytes(b"SYNTHETIC")
    removed = publications.clean_leftovers(settings)
    assert sorted(removed) == sorted([".current.link.tmp", ".jamstat.duckdb.run_old.tmp",
                                      ".jamstat.duckdb.run_old.tmp.wal", f"publications/{staged.path.name}"])
    assert published_version(settings) == (1, 1)


def test_quarantine_moves_the_candidate_and_keeps_the_last_n(settings):
    for n in range(1, 5):
        cand = synthetic_candidate(settings.candidate_path, n)
        target = quarantine(settings, run_id=f"failed-{n}", results=[{"gate": "soda", "success": False}],
                            candidate=cand)
        assert not cand.exists() and (target / "candidate.duckdb").exists()
        os.utime(target, (n, n))  # distinct ages regardless of the file system's timestamp resolution
    assert sorted(p.name for p in settings.quarantine_dir.iterdir()) == ["failed-3", "failed-4"]


def test_stale_temporary_files_of_interrupted_ingests_are_removed_fresh_ones_kept(settings):
    from jamstat.transform.candidate import clean_stale_temp_files

    batches = settings.batches_dir / "kolada"
    batches.mkdir(parents=True)
    stale = batches / ".abc123.k2j3.parquet.tmp"   # a batch commit killed two hours ago
    fresh = batches / ".def456.x9y8.parquet.tmp"   # a batch being written right now
    committed = batches / "abc123.parquet"
    for f in (stale, fresh, committed):
        f.write_bytes(b"SYNTHETIC")
    os.utime(stale, (os.path.getmtime(stale) - 7200,) * 2)
    assert clean_stale_temp_files(settings, older_than_s=3600) == ["batches/kolada/.abc123.k2j3.parquet.tmp"]
    assert fresh.exists() and committed.exists() and not stale.exists()


def _storage_version(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select tags['storage_version'] from duckdb_databases() "
                           "where database_name = current_database()").fetchone()[0]


def test_the_candidate_uses_newer_storage_and_the_publication_stays_readable_by_older_duckdb(settings):
    """The candidate is written in CANDIDATE_STORAGE_VERSION (faster text columns, read only by the pinned DuckDB);
    the published copy is in PUBLISHED_STORAGE_VERSION, which BI readers on DuckDB 1.0 can open."""
    from jamstat.publish.swap import PUBLISHED_STORAGE_VERSION
    from jamstat.transform.candidate import CANDIDATE_STORAGE_VERSION, prepare_candidate

    prepare_candidate(settings)
    assert _storage_version(settings.candidate_path) == f"{CANDIDATE_STORAGE_VERSION}+" != "v1.0.0+"
    with duckdb.connect(str(settings.candidate_path)) as con:   # a model written later keeps the file's format
        con.execute("create schema marts")
        con.execute("create table marts.fct_synthetic as select 'SYNTHETIC ' || (range % 3) as label, "
                    "range::double as value from range(200000)")
        con.execute("checkpoint")
        [(compression,)] = con.execute("select distinct compression from pragma_storage_info('marts.fct_synthetic') "
                                       "where column_name = 'label' and segment_type = 'VARCHAR'").fetchall()
    assert compression == "DICT_FSST"
    publish(settings, run_id="run-1", gate_results=audited(settings.candidate_path))
    assert _storage_version(settings.published_path) == f"{PUBLISHED_STORAGE_VERSION}+" == "v1.0.0+"
