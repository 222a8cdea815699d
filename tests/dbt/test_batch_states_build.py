"""Real `dbt build`s, read by the dbt gate, on candidates made from the real recordings (tests/dbt/
candidate_fixture.py) plus SYNTHETIC batches, one per finding:

* A -> B -> A: B (27.5) was fetched after A, but the source sent A again later: A is published;
* a retracted batch and a superseded one: their rows reach nothing;
* a poison batch (area 9999, period 2099): the build fails on exactly those rows, the gate names the batch and
  the summary prints the command that retracts it;
* a period '20x3' that slipped into raw: unmapped, not a conversion error that fails every build;
* a dropped file for an fk catalog row (source_ref = its indicator_id): its rows reach fct_indicator_value."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from jamstat.gates.dbt_tests import dbt_gate_result
from jamstat.gates.report import summarize
from jamstat.transform.dbt_runner import run_dbt
from tests.dbt.candidate_fixture import build_candidate, replay_settings

pytestmark = pytest.mark.slow

REAL_K_0180 = 25.688929  # Kolada N21704 2023, Stockholm, women (the real recording)
T0 = datetime(2026, 6, 10, 8, 0, 0)
BATCH_COLUMNS = "batch_id, source, unit, check_unit, snapshot, mode, run_id, fetched_at, row_count, " \
                "last_observed_at, state, state_reason"
# batch id -> (source, unit, fetched, last observed, state)
BATCHES = {
    "SYNTHETIC-A": ("kolada", "N21704", T0 + timedelta(days=1), T0 + timedelta(days=3), "current"),
    "SYNTHETIC-B": ("kolada", "N21704", T0 + timedelta(days=2), T0 + timedelta(days=2), "current"),
    "SYNTHETIC-retracted": ("kolada", "N21704", T0 + timedelta(days=4), T0 + timedelta(days=4), "retracted"),
    "SYNTHETIC-superseded": ("kolada", "N21704", T0 + timedelta(days=4), T0 + timedelta(days=1), "superseded"),
    "SYNTHETIC-poison": ("file", "poison.mapping.yaml", T0, T0, "current"),
    "SYNTHETIC-odd-period": ("kolada", "N21704", T0, T0, "current"),
    "SYNTHETIC-fk-drop": ("file", "vab.mapping.yaml", T0, T0, "current"),
}
# (batch, source_ref, area, period, sex, value)
ROWS = [
    ("SYNTHETIC-A", "N21704", "0180", "2023", "K", REAL_K_0180),
    ("SYNTHETIC-B", "N21704", "0180", "2023", "K", 27.5),
    ("SYNTHETIC-retracted", "N21704", "0180", "2023", "M", 99.0),
    ("SYNTHETIC-superseded", "N21704", "1280", "2023", "M", 98.0),
    ("SYNTHETIC-poison", "vab_fk_open_data", "9999", "2023", "K", 10.0),
    ("SYNTHETIC-poison", "vab_fk_open_data", "0180", "2099", "K", 11.0),
    ("SYNTHETIC-odd-period", "N21704", "0180", "20x3", "T", 1.0),
    ("SYNTHETIC-fk-drop", "vab_fk_open_data", "0180", "2023", "K", 1234.0),
    ("SYNTHETIC-fk-drop", "vab_fk_open_data", "0180", "2023", "M", 987.0),
]


def _candidate(path: Path, batches: dict) -> Path:
    build_candidate(path)
    with duckdb.connect(str(path)) as con:
        for bid, (source, unit, fetched, observed, state) in batches.items():
            n = sum(1 for r in ROWS if r[0] == bid)
            con.execute(f"insert into raw.batches ({BATCH_COLUMNS}) values (?,?,?,?,'full','replay','SYNTHETIC',?,?,?,?,?)",
                        [bid, source, f"{source}:{unit}", unit, fetched, n, observed, state,
                         None if state == "current" else f"SYNTHETIC {state}"])
        con.executemany("insert into raw.observations values (?,?,?,?,?,?,null,'{}',false,?,?)",
                        [(batches[b][0], ref, area, period, sex, value, b, batches[b][2])
                         for b, ref, area, period, sex, value in ROWS if b in batches])
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Two candidates, one dbt build each: every batch but the poison one (a failing test skips the models
    downstream of it), and all of them."""
    tmp = tmp_path_factory.mktemp("batch_states")
    settings = replay_settings(tmp)
    out = {}
    for name, batches in (("clean", {b: v for b, v in BATCHES.items() if b != "SYNTHETIC-poison"}),
                          ("poisoned", BATCHES)):
        candidate = _candidate(tmp / f"{name}.duckdb", batches)
        build = run_dbt(settings, "build", candidate=candidate, target_path=tmp / f"target_{name}")
        out[name] = {"build": build, "gate": dbt_gate_result(build, candidate_path=str(candidate)),
                     "candidate": candidate}
    return out


def _fct(built, sql: str) -> list[tuple]:
    with duckdb.connect(str(built["clean"]["candidate"]), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_clean_candidate_builds(built):
    assert built["clean"]["build"].success, built["clean"]["build"].summary()
    assert built["clean"]["gate"].success


def test_the_poison_batch_fails_the_build_and_is_named(built):
    build, gate = built["poisoned"]["build"], built["poisoned"]["gate"]
    failed = {c.check.split(".")[-1]: c for c in gate.checks if c.status == "failed"}
    assert set(failed) == {"assert_no_unknown_area_codes", "assert_periods_plausible"}, build.summary()
    assert failed["assert_no_unknown_area_codes"].batch_ids == ["SYNTHETIC-poison"]
    plausible = failed["assert_periods_plausible"]
    assert plausible.batch_ids == ["SYNTHETIC-poison"]
    assert plausible.examples[0]["indicator_id"] == "vab_fk_open_data" and plausible.examples[0]["period"] == "2099"
    text = summarize([gate])
    assert 'jamstat batches retract SYNTHETIC-poison --reason "…"' in text
    assert not [f for f in build.failures if not f["node"].startswith("test.")], "every model built"


def test_a_reverted_value_is_published_as_the_source_sent_it_last(built):
    got = _fct(built, "select f.value, f.batch_id from marts.fct_indicator_value f join marts.dim_indicator i "
                      "using (indicator_id) where i.source_ref = 'N21704' and area_code = '0180' and period = '2023' "
                      "and sex = 'K'")
    assert got == [(pytest.approx(REAL_K_0180), "SYNTHETIC-A")]


def test_retracted_and_superseded_batches_reach_no_model(built):
    assert _fct(built, "select count(*) from intermediate.int_observations_harmonised where batch_id in "
                       "('SYNTHETIC-retracted', 'SYNTHETIC-superseded')") == [(0,)]
    assert _fct(built, "select count(*) from marts.fct_indicator_value where value in (98.0, 99.0)") == [(0,)]


def test_a_malformed_period_is_unmapped_not_a_build_error(built):
    assert _fct(built, "select unmapped_reason from intermediate.int_observations_unmapped where period = '20x3'") \
        == [("unparsed_period",)]


def test_a_dropped_file_reaches_the_fact_for_its_fk_row(built):
    got = dict(_fct(built, "select sex, value from marts.fct_indicator_value where batch_id = 'SYNTHETIC-fk-drop'"))
    assert got == {"K": 1234.0, "M": 987.0}
    assert _fct(built, "select distinct indicator_id, source from marts.fct_indicator_value "
                       "where batch_id = 'SYNTHETIC-fk-drop'") == [("vab_fk_open_data", "file")]


def test_failing_rows_stay_in_the_candidate_only_as_views(built):
    schemas = {r[0] for r in _fct(built, "select distinct schema_name from duckdb_tables()")}
    assert "dbt_test__audit" not in schemas  # no copy of failing rows as tables
    views = _fct(built, "select count(*) from duckdb_views() where schema_name = 'dbt_test__audit'")[0][0]
    assert views > 0
