"""Revisions and retractions that stick: the observation log orders latest-wins by when the source last sent a
value, full snapshots retract keys their unit no longer carries, removed file drops and `jamstat batches
retract` take batches out of the candidate. Ingest runs through the real replay server serving a changed copy
of the real N21704 recording (tests/replay_variant.py; the changes are SYNTHETIC)."""
from __future__ import annotations

import dataclasses
import json

import duckdb
import pytest
from click.testing import CliRunner

from ingest import file_drop
from ingest.batch_log import batch_states, read_observations, read_retractions
from ingest.modes import base_urls
from ingest.registry import source
from ingest.replay.server import replay_server
from ingest.run_unit import ingest_one, run_unit
from jamstat.cli import main
from jamstat.transform.candidate import prepare_candidate
from tests.replay_variant import add_area, set_value, write_variant

REAL_K_0180 = 25.688929  # Kolada N21704 2023, Stockholm, women (the real recording)


def _ingest(settings, tmp_path, name, edit=None, *, run_id=None) -> dict:
    manifest, root = write_variant(tmp_path / name, edit)
    with replay_server(manifest=manifest, root=root) as url:
        return run_unit("kolada", "N21704", mode="replay", run_id=run_id or name,
                        settings=dataclasses.replace(settings, replay_url=url))


def _ingest_live(settings, tmp_path, name, edit=None) -> dict:
    """A live-mode fetch (first of its KPI, so no from_date: a full snapshot) from a local server serving the
    (changed) recording; the public internet is never used in tests."""
    manifest, root = write_variant(tmp_path / name, edit)
    with replay_server(manifest=manifest, root=root) as url:
        return ingest_one(source("kolada"), "N21704", mode="live", base_urls=base_urls("replay", url), run_id=name,
                          settings=settings)


def _candidate(settings, sql: str) -> list[tuple]:
    prepare_candidate(settings)
    with duckdb.connect(str(settings.candidate_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _states(settings) -> dict[str, str]:
    return {s.batch_id: s.state for s in batch_states(settings.batches_dir, settings.state_dir)}


def test_revert_a_b_a_makes_a_the_latest_again(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("JAMSTAT_KOLADA_YEARS", "2023")  # one year: incremental fetches that layer
    a1 = _ingest(settings, tmp_path, "a1")
    b = _ingest(settings, tmp_path, "b", set_value("0180", "K", 27.5))
    a2 = _ingest(settings, tmp_path, "a2")
    assert (a1["status"], b["status"], a2["status"]) == ("loaded", "loaded", "unchanged")
    assert a1["batch_id"] == a2["batch_id"] != b["batch_id"] and a1["snapshot"] == "incremental"
    assert _states(settings) == {a1["batch_id"]: "current", b["batch_id"]: "current"}
    order = _candidate(settings, "select batch_id, fetched_at, last_observed_at from raw.batches "
                                 "order by last_observed_at desc")
    assert order[0][0] == a1["batch_id"], "A was observed last, so A must be the latest version"
    assert order[0][1] < order[1][1], "A was fetched first: ordering by fetched_at would let B win"
    log = [(o["run_id"], o["batch_ids"]) for o in read_observations(settings.state_dir)]
    assert log == [("a1", [a1["batch_id"]]), ("b", [b["batch_id"]]), ("a2", [a1["batch_id"]])]


def test_full_snapshot_retracts_keys_the_source_no_longer_sends(settings, tmp_path):
    poisoned = _ingest(settings, tmp_path, "poison", add_area("9999"))
    assert poisoned["snapshot"] == "full"
    assert _candidate(settings, "select count(*) from raw.observations where area_code = '9999'") == [(1,)]
    fixed = _ingest(settings, tmp_path, "fixed")
    assert _states(settings) == {poisoned["batch_id"]: "superseded", fixed["batch_id"]: "current"}
    assert _candidate(settings, "select count(*) from raw.observations where area_code = '9999'") == [(0,)]
    assert _candidate(settings, "select state, state_reason from raw.batches where batch_id = "
                                f"'{poisoned['batch_id']}'")[0][1].startswith("the full snapshot of kolada unit N21704")
    assert _candidate(settings, "select value from raw.observations where area_code = '0180' and sex = 'K'") == \
        [(pytest.approx(REAL_K_0180),)]


def test_a_narrower_fetch_layers_on_its_full_base(settings, tmp_path, monkeypatch):
    base = _ingest(settings, tmp_path, "base", add_area("0127"))  # 0127 Botkyrka: a real code
    monkeypatch.setenv("JAMSTAT_KOLADA_YEARS", "2023")
    delta = _ingest(settings, tmp_path, "delta", set_value("0180", "K", 27.5))
    assert (base["snapshot"], delta["snapshot"]) == ("full", "incremental")
    assert _states(settings) == {base["batch_id"]: "current", delta["batch_id"]: "current"}


def test_an_offline_replay_run_never_retracts_live_data(settings, tmp_path):
    live = _ingest_live(settings, tmp_path, "live", add_area("0127"))  # 0127 Botkyrka: a real code
    replayed = _ingest(settings, tmp_path, "replay")
    assert (live["snapshot"], replayed["snapshot"]) == ("full", "full")
    assert _states(settings) == {live["batch_id"]: "current", replayed["batch_id"]: "current"}
    poisoned = _ingest(settings, tmp_path, "replay-poison", add_area("9999"))
    again = _ingest(settings, tmp_path, "replay-again")
    assert again["batch_id"] == replayed["batch_id"]
    assert _states(settings) == {live["batch_id"]: "current", replayed["batch_id"]: "current",
                                 poisoned["batch_id"]: "superseded"}, "replay supersedes replay batches only"


def test_retract_command_keeps_a_batch_out_with_an_audit_trail(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("JAMSTAT_KOLADA_YEARS", "2023")
    good = _ingest(settings, tmp_path, "good")
    bad = _ingest(settings, tmp_path, "bad", add_area("9999"))
    for key, value in (("JAMSTAT_DATA_DIR", settings.data_dir), ("JAMSTAT_WAREHOUSE_DIR", settings.warehouse_dir)):
        monkeypatch.setenv(key, str(value))
    runner = CliRunner()
    assert runner.invoke(main, ["batches", "retract", bad["batch_id"][:12]]).exit_code != 0, "--reason is required"
    res = runner.invoke(main, ["batches", "retract", bad["batch_id"][:12], "--reason", "area 9999 does not exist",
                               "--by", "analyst"])
    assert res.exit_code == 0, res.output
    assert f"retracted {bad['batch_id']}" in res.output
    again = runner.invoke(main, ["batches", "retract", bad["batch_id"], "--reason", "twice"])
    assert again.exit_code != 0 and "already retracted" in again.output
    unknown = runner.invoke(main, ["batches", "retract", "deadbeefdeadbeef", "--reason", "x"])
    assert unknown.exit_code != 0 and "no committed batch" in unknown.output
    [record] = read_retractions(settings.state_dir)
    assert (record["batch_id"], record["retracted_by"], record["reason"]) == (bad["batch_id"], "analyst",
                                                                               "area 9999 does not exist")
    assert _states(settings) == {good["batch_id"]: "current", bad["batch_id"]: "retracted"}
    assert _candidate(settings, "select count(*) from raw.observations where batch_id = "
                                f"'{bad['batch_id']}'") == [(0,)]
    assert _candidate(settings, "select batch_id, retracted_by from raw.retractions") == [(bad["batch_id"], "analyst")]
    listing = runner.invoke(main, ["batches", "list", "--state", "retracted"]).output
    assert bad["batch_id"][:16] in listing and good["batch_id"][:16] not in listing
    shown = runner.invoke(main, ["batches", "show", bad["batch_id"][:10]]).output
    assert "state: retracted" in shown and "area 9999 does not exist" in shown and "observed " in shown


CSV = "år,region,kön,värde\n2023,0180,kvinnor,12\n2023,0180,män,10\n"  # SYNTHETIC


def test_removing_a_dropped_file_retracts_its_batches(settings):
    landing = file_drop.landing_dir(settings)
    landing.mkdir(parents=True)
    (landing / "fk.csv").write_text(CSV, "utf-8")
    (landing / "fk.mapping.yaml").write_text(
        "file: fk.csv\nindicator_id: vab_fk_open_data\n"
        "columns: {period: år, area: region, sex: kön, value: värde}\n", "utf-8")
    assert file_drop.plan_file_drops(settings) == ["fk.mapping.yaml"]
    drop = run_unit("files", "fk.mapping.yaml", mode="replay", run_id="r1", settings=settings)
    assert _states(settings) == {drop["batch_id"]: "current"}
    (landing / "fk.mapping.yaml").unlink()
    assert file_drop.plan_file_drops(settings) == []
    assert _states(settings) == {drop["batch_id"]: "superseded"}
    removal = read_observations(settings.state_dir)[-1]
    assert (removal["unit"], removal["status"], removal["batch_ids"]) == ("fk.mapping.yaml", "removed", [])
    assert file_drop.plan_file_drops(settings) == [] and len(read_observations(settings.state_dir)) == 2, \
        "a removal is recorded once"
    (landing / "fk.mapping.yaml").write_text(
        "file: fk.csv\nindicator_id: vab_fk_open_data\n"
        "columns: {period: år, area: region, sex: kön, value: värde}\n", "utf-8")
    back = run_unit("files", "fk.mapping.yaml", mode="replay", run_id="r3", settings=settings)
    assert back["batch_id"] == drop["batch_id"] and _states(settings) == {drop["batch_id"]: "current"}


def test_missing_landing_folder_retracts_nothing(settings):
    landing = file_drop.landing_dir(settings)
    landing.mkdir(parents=True)
    (landing / "fk.csv").write_text(CSV, "utf-8")
    (landing / "fk.mapping.yaml").write_text(
        "file: fk.csv\nindicator_id: vab_fk_open_data\ncolumns: {period: år, area: region, sex: kön, value: värde}\n",
        "utf-8")
    drop = run_unit("files", "fk.mapping.yaml", mode="replay", run_id="r1", settings=settings)
    for p in landing.iterdir():
        p.unlink()
    landing.rmdir()
    assert file_drop.plan_file_drops(settings) == []
    assert _states(settings) == {drop["batch_id"]: "current"}


def test_a_torn_last_log_line_is_skipped(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("JAMSTAT_KOLADA_YEARS", "2023")
    a = _ingest(settings, tmp_path, "a")
    log = next(settings.state_dir.glob("observations/kolada/*.jsonl"))
    with log.open("a", encoding="utf-8") as fh:
        fh.write('{"source": "kolada", "unit": "N21704", "batch_ids": ["x"')  # a crash mid-append
    assert [o["run_id"] for o in read_observations(settings.state_dir)] == ["a"]
    assert _states(settings) == {a["batch_id"]: "current"}
    assert json.loads((settings.state_dir / "checks" / "kolada" / "N21704.json").read_text())["run_id"] == "a"
