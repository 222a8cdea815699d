"""Quality gates against small candidate files (tests/quality/conftest.py builds them from real values).

Every `make_candidate(...)` SQL argument below is SYNTHETIC damage applied to the real fixture, to prove a gate
fails loudly and names the check. Known-good candidates must pass every gate.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from jamstat import settings
from jamstat.gates import freshness, report, result
from jamstat.gates import great_expectations as gx_gate
from jamstat.gates import soda as soda_gate
from tests.quality.quality_fixtures import FETCHED, NOW, build_candidate


def _sha(p: Path) -> str:
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


def _failed(res: result.GateResult) -> list[result.Check]:
    return [c for c in res.checks if not c.success]


def _assert_fails_on(res: result.GateResult, *fragments: str) -> result.Check:
    """The gate failed, and a failed check's name contains every fragment; the summary names it too."""
    assert res.success is False, report.summarize([res])
    hits = [c for c in _failed(res) if all(f in c.check for f in fragments)]
    assert hits, f"no failed check matching {fragments}; failed: {[c.check for c in _failed(res)]}"
    assert hits[0].check in report.summarize([res])
    json.dumps(res.to_dict())  # always JSON-serialisable
    return hits[0]


def gx(p: Path, **kw) -> result.GateResult:
    return gx_gate.run_gx_gate(p, **kw)


def soda(p: Path, **kw) -> result.GateResult:
    kw.setdefault("now", NOW)
    return soda_gate.run_soda_gate(p, **kw)


# ---------------------------------------------------------------------------------------------- known good
def test_good_candidate_passes_every_gate_and_is_not_modified(good_candidate: Path, tmp_path: Path):
    before = _sha(good_candidate)
    prev = tmp_path / "published.duckdb"
    shutil.copy(good_candidate, prev)
    results = [freshness.run_freshness_gate(good_candidate, now=NOW),
               gx(good_candidate, previous_published_path=prev),
               soda(good_candidate)]
    for r in results:
        assert r.success is True, report.summarize([r])
        assert r.error is None
        assert r.n_evaluated > 0
        assert all(c.status in ("passed", "skipped") for c in r.checks), report.summarize([r])
    g, s = results[1], results[2]
    # GX and Soda really ran: many evaluated checks, including the ones the brief names
    assert g.n_evaluated >= 50 and s.n_evaluated >= 50
    names = {c.check for c in g.checks}
    assert any("[percent 0-100]" in n for n in names)
    assert "gx:publication_row_counts:expect_column_pair_values_a_to_be_greater_than_b(candidate_rows,min_allowed_rows)" in names
    assert any(n.startswith("gx:distribution_shift:") for n in names)
    assert {"soda:fct_indicator_value:freshness", "soda:fct_indicator_value:schema"} <= {c.check for c in s.checks}
    assert g.details["gx_version"] == "1.24.1"
    assert _sha(good_candidate) == before, "a gate modified the candidate"
    assert _sha(prev) == _sha(good_candidate)
    d = json.loads(json.dumps([r.to_dict() for r in results]))
    assert d[1]["success"] is True and d[1]["counts"]["evaluated"] == g.n_evaluated


def test_no_previous_publication_is_skipped_explicitly(good_candidate: Path):
    r = gx(good_candidate)
    assert r.success is True
    skipped = {c.check: c for c in r.checks if c.status == "skipped"}
    assert set(skipped) == {"gx:publication_row_counts", "gx:distribution_shift"}
    assert all("no previous publication" in c.message for c in skipped.values())


# ---------------------------------------------------------------------------------------------- percent 120
SYNTH_PERCENT_120 = ("UPDATE marts.fct_indicator_value SET value = 120.0 "  # SYNTHETIC: impossible share
                     "WHERE indicator_id = 'home_care_80plus_share' AND area_code = '0180' AND sex = 'K'")


def test_percent_over_100_fails_gx(make_candidate):
    c = _assert_fails_on(gx(make_candidate(SYNTH_PERCENT_120)), "fct_indicator_value", "[percent 0-100]")
    assert c.failing_rows == 1
    assert c.examples[0]["area_code"] == "0180" and c.examples[0]["sex"] == "K" and c.examples[0]["value"] == 120.0


def test_percent_over_100_fails_soda(make_candidate):
    c = _assert_fails_on(soda(make_candidate(SYNTH_PERCENT_120)), "fct_indicator_value", "invalid(value)",
                         "percent value within 0-100")
    assert c.failing_rows == 1
    assert c.examples and c.examples[0]["value"] == 120.0


def _fact_insert(indicator_id: str, value: float, unit: str) -> str:
    return ("INSERT INTO marts.fct_indicator_value BY NAME SELECT "
            f"'{indicator_id}' AS indicator_id, '0180' AS area_code, '2023' AS period, 'year' AS period_granularity, "
            f"2023 AS year, 'T' AS sex, {value} AS value, '{unit}' AS unit, 'kolada' AS source, "
            "'b_kolada_n21704' AS batch_id, TIMESTAMP '2026-06-13 12:00:00' AS fetched_at")


def test_ratio_percent_may_exceed_100_but_negative_sek_gap_is_fine(make_candidate):
    # SYNTHETIC rows for indicators whose range is not 0-100 / > 0 (see expectations/gx/fct_indicator_value.json)
    p = make_candidate(_fact_insert("womens_pay_pct_municipal_employees", 101.5, "percent"),
                       _fact_insert("pay_gap_municipal_employees_sek", -1200.0, "SEK"))
    r = gx(p)
    assert r.success, report.summarize([r])
    s = soda(p)
    assert s.success, report.summarize([s])
    # ... but a non-gap SEK value of 0 is not
    r2 = gx(make_candidate(_fact_insert("median_income_65plus", 0.0, "SEK")))  # SYNTHETIC
    _assert_fails_on(r2, "fct_indicator_value", "SEK")


def test_unit_mismatch_between_fct_and_dim_indicator_fails_gx(make_candidate):
    p = make_candidate("UPDATE marts.fct_indicator_value SET unit = 'count' "  # SYNTHETIC unit drift
                       "WHERE indicator_id = 'home_care_80plus_share' AND area_code = '0580'")
    c = _assert_fails_on(gx(p), "expect_column_pair_values_to_be_equal(fct_unit,unit)")
    assert c.failing_rows == 3


# ---------------------------------------------------------------------------------------------- duplicate key
SYNTH_DUPLICATE = ("INSERT INTO marts.fct_indicator_value SELECT * FROM marts.fct_indicator_value "  # SYNTHETIC
                   "WHERE indicator_id = 'home_care_80plus_share' AND area_code = '1280' AND sex = 'M'")


def test_duplicate_fact_key_fails_gx(make_candidate):
    c = _assert_fails_on(gx(make_candidate(SYNTH_DUPLICATE)), "expect_compound_columns_to_be_unique",
                         "indicator_id,area_code,period,sex,birth_region,age_group")
    assert c.failing_rows == 2
    assert c.examples[0] == {"indicator_id": "home_care_80plus_share", "area_code": "1280", "period": "2023", "sex": "M",
                             "birth_region": "total", "age_group": "total"}


# SYNTHETIC: the same cells again as the foreign-born breakdown - another key, not a duplicate
SYNTH_BREAKDOWN = ("INSERT INTO marts.fct_indicator_value SELECT * REPLACE ('foreign_born' AS birth_region) "
                   "FROM marts.fct_indicator_value WHERE indicator_id = 'home_care_80plus_share' AND area_code = '1280'")


def test_birth_region_breakdown_is_its_own_key_in_gx_and_soda(make_candidate):
    p = make_candidate(SYNTH_BREAKDOWN)
    for res in (gx(p), soda(p)):
        assert res.success is True, report.summarize([res])


def test_unknown_birth_region_fails_gx(make_candidate):
    p = make_candidate("UPDATE marts.fct_indicator_value SET birth_region = 'born_on_mars' "  # SYNTHETIC
                       "WHERE indicator_id = 'home_care_80plus_share' AND area_code = '1280'")
    c = _assert_fails_on(gx(p), "birth_region_in_dim")
    assert c.failing_rows == 3


def test_duplicate_fact_key_fails_soda(make_candidate):
    c = _assert_fails_on(soda(make_candidate(SYNTH_DUPLICATE)), "fct_indicator_value:duplicate", "unique grain")
    assert c.failing_rows == 1
    assert c.examples[0]["area_code"] == "1280" and c.examples[0]["n_rows"] == 2


# ---------------------------------------------------------------------------------------------- unknown area
SYNTH_UNKNOWN_MUNI_FACT = ("UPDATE marts.fct_indicator_value SET area_code = '0199' "  # SYNTHETIC: no kommun 0199
                           "WHERE indicator_id = 'home_care_80plus_share' AND area_code = '2480'")
SYNTH_UNKNOWN_MUNI_DIM = ("INSERT INTO marts.dim_area (area_code, area_name, area_level, county_code, kolada_id, scb_code) "
                          "VALUES "  # SYNTHETIC: no kommun 0199 in the 290 list
                          "('0199', 'Påhittad kommun', 'municipality', '01', '0199', '0199')")


def test_unknown_municipality_in_fact_fails_gx(make_candidate):
    c = _assert_fails_on(gx(make_candidate(SYNTH_UNKNOWN_MUNI_FACT)), "expect_column_values_to_be_in_set(area_in_dim_area)")
    assert c.failing_rows == 3
    assert {e["area_code"] for e in c.examples} == {"0199"}


def test_unknown_municipality_in_fact_fails_soda(make_candidate):
    c = _assert_fails_on(soda(make_candidate(SYNTH_UNKNOWN_MUNI_FACT)), "invalid(area_code)", "in dim_area")
    assert c.failing_rows == 3
    assert c.examples and c.examples[0]["area_code"] == "0199"


def test_unknown_municipality_in_dim_area_fails_gx_reference_list(make_candidate):
    c = _assert_fails_on(gx(make_candidate(SYNTH_UNKNOWN_MUNI_DIM)), "dim_area", "expect_column_values_to_be_in_set(area_code)",
                         'area_level == "municipality"')
    assert c.failing_rows == 1 and c.examples[0]["area_code"] == "0199"


def test_bad_sex_code_in_raw_fails_gx(make_candidate):
    p = make_candidate("UPDATE raw.observations SET sex = '1+2' WHERE source = 'scb' AND sex = 'T'")  # SYNTHETIC
    c = _assert_fails_on(gx(p), "raw_observations", "expect_column_values_to_be_in_set(sex)")
    assert c.failing_rows == 4


# ---------------------------------------------------------------------------------------------- schema drift
SYNTH_DROP_COLUMN = "ALTER TABLE marts.fct_indicator_value DROP COLUMN status"  # SYNTHETIC schema drift


def test_dropped_column_fails_gx(make_candidate):
    c = _assert_fails_on(gx(make_candidate(SYNTH_DROP_COLUMN)), "gx:fct_indicator_value:schema")
    assert c.observed["missing"] == ["status"]
    assert "status" in c.message


def test_dropped_column_fails_soda(make_candidate):
    c = _assert_fails_on(soda(make_candidate(SYNTH_DROP_COLUMN)), "soda:fct_indicator_value:schema")
    assert c.observed["missing_columns"] == ["status"]
    assert "schema drift" in c.message


def test_changed_column_type_fails_soda(make_candidate):
    p = make_candidate("ALTER TABLE marts.fct_indicator_value ALTER COLUMN year TYPE VARCHAR")  # SYNTHETIC
    c = _assert_fails_on(soda(p), "soda:fct_indicator_value:schema")
    assert c.observed["type_mismatches"]


# ---------------------------------------------------------------------------------------------- lost rows
def test_mart_that_lost_most_rows_fails_gx(make_candidate, tmp_path: Path):
    prev = build_candidate(tmp_path / "published.duckdb")
    p = make_candidate("DELETE FROM marts.fct_indicator_value WHERE indicator_id <> 'temporary_parental_benefit_share_men'",
                       "DELETE FROM marts.mart_area_benchmark WHERE area_code <> '0180'")  # SYNTHETIC mass deletion
    r = gx(p, previous_published_path=prev)
    c = _assert_fails_on(r, "publication_row_counts")
    marts = {e["mart"] for e in c.examples}
    assert {"fct_indicator_value", "mart_area_benchmark"} <= marts
    assert "fct_indicator_value 36->9" in c.message
    # the same drop within a looser configured limit passes that check
    r2 = gx(p, previous_published_path=prev, max_row_drop=0.9)
    assert all(x.success for x in r2.checks if "publication_row_counts" in x.check)


def test_distribution_shift_fails_gx(make_candidate, tmp_path: Path):
    prev = build_candidate(tmp_path / "published.duckdb")
    p = make_candidate("UPDATE marts.fct_indicator_value SET value = value / 100 "  # SYNTHETIC: percent -> fraction
                       "WHERE indicator_id = 'temporary_parental_benefit_share_men'")
    c = _assert_fails_on(gx(p, previous_published_path=prev), "distribution_shift", "rel_change")
    assert c.examples[0]["indicator_id"] == "temporary_parental_benefit_share_men"
    assert c.examples[0]["rel_change"] == pytest.approx(-0.99)
    # restricted to an unaffected key indicator, the same candidate passes the shift check
    r = gx(p, previous_published_path=prev, shift_indicators=["home_care_80plus_share"])
    assert all(x.success for x in r.checks if "distribution_shift" in x.check)


def test_distribution_shift_against_a_publication_from_before_the_breakdown_keys(make_candidate, tmp_path: Path):
    """The first run after birth_region / age_group came: the previous publication has neither column and only
    totals, so its rows meet the candidate's total rows; a breakdown row (SYNTHETIC, far off) is not compared."""
    prev = build_candidate(tmp_path / "published.duckdb")
    with duckdb.connect(str(prev)) as con:
        con.execute("ALTER TABLE marts.fct_indicator_value DROP COLUMN birth_region")
        con.execute("ALTER TABLE marts.fct_indicator_value DROP COLUMN age_group")
    p = make_candidate(SYNTH_BREAKDOWN, "UPDATE marts.fct_indicator_value SET value = value * 100 "
                                        "WHERE birth_region = 'foreign_born'")
    r = gx(p, previous_published_path=prev)
    assert all(x.success for x in r.checks if "distribution_shift" in x.check), report.summarize([r])
    # a shifted TOTAL row is still caught against the old publication
    p2 = make_candidate("UPDATE marts.fct_indicator_value SET value = value / 100 "  # SYNTHETIC: percent -> fraction
                        "WHERE indicator_id = 'temporary_parental_benefit_share_men'")
    _assert_fails_on(gx(p2, previous_published_path=prev), "distribution_shift", "rel_change")


# ---------------------------------------------------------------------------------------------- freshness
def test_stale_source_warns_then_errors(make_candidate):
    p = make_candidate()
    # kolada: warn_after 3 days, error_after 10 days since the last successful check (expectations/freshness.yml)
    warn = freshness.run_freshness_gate(p, now=NOW + timedelta(days=3))
    assert warn.success is True
    assert {c.check: c.status for c in warn.checks}["freshness:kolada"] == "warned"
    assert "WARN" in report.summarize([warn]) and "past warn_after" in report.summarize([warn])
    err = freshness.run_freshness_gate(p, now=NOW + timedelta(days=15))
    c = _assert_fails_on(err, "freshness:kolada")
    assert "past error_after" in c.message


def test_recent_check_of_unchanged_content_is_fresh(make_candidate):
    """Unchanged content keeps its old fetched_at; a successful re-check (raw.source_checks) keeps it fresh."""
    old = FETCHED - timedelta(days=100)  # SYNTHETIC: content first fetched 102 days before NOW
    checked = (NOW - timedelta(hours=6)).replace(tzinfo=None)
    p = make_candidate(
        "CREATE TABLE raw.source_checks (source VARCHAR, unit VARCHAR, status VARCHAR, batch_ids VARCHAR, "
        "mode VARCHAR, run_id VARCHAR, checked_at TIMESTAMP)",
        f"INSERT INTO raw.source_checks VALUES ('kolada', 'N21704', 'unchanged', '[]', 'replay', 'r', '{checked}'), "
        f"('scb', 'population_by_sex_age', 'unchanged', '[]', 'replay', 'r', '{checked}')",
        fetched=old)
    r = freshness.run_freshness_gate(p, now=NOW)
    assert r.success is True
    assert {c.check: c.status for c in r.checks}["freshness:kolada"] == "passed"
    # without the checks the same content is stale
    _assert_fails_on(freshness.run_freshness_gate(make_candidate(fetched=old), now=NOW), "freshness:kolada")


def test_stale_data_fails_freshness_and_soda(make_candidate):
    stale = FETCHED - timedelta(days=500)  # SYNTHETIC: everything fetched 502 days before NOW
    p = make_candidate(fetched=stale)
    _assert_fails_on(freshness.run_freshness_gate(p, now=NOW), "freshness:scb")
    c = _assert_fails_on(soda(p), "soda:fct_indicator_value:freshness")
    assert c.observed["freshness"]


def test_soda_freshness_warns_between_limits(make_candidate):
    p = make_candidate(fetched=FETCHED - timedelta(days=248))  # SYNTHETIC: content 250 days old
    r = soda(p)
    assert r.success is True
    assert {c.check: c.status for c in r.checks}["soda:fct_indicator_value:freshness"] == "warned"


def test_required_source_missing_fails_freshness(make_candidate):
    p = make_candidate("DELETE FROM raw.batches WHERE source = 'scb'")  # SYNTHETIC
    c = _assert_fails_on(freshness.run_freshness_gate(p, now=NOW), "freshness:scb")
    assert "no batch" in c.message


# ---------------------------------------------------------------------------------------------- crashes
@pytest.mark.parametrize("runner", ["freshness", "gx", "soda"])
def test_unreadable_file_fails_with_error(tmp_path: Path, runner: str):
    bad = tmp_path / "candidate.duckdb"
    bad.write_text("this is not a DuckDB file")  # SYNTHETIC
    r = {"freshness": lambda: freshness.run_freshness_gate(bad, now=NOW), "gx": lambda: gx(bad),
         "soda": lambda: soda(bad)}[runner]()
    assert r.success is False
    assert r.error and "not a valid DuckDB database file" in r.error
    assert "error:" in report.summarize([r])


@pytest.mark.parametrize("runner", ["freshness", "gx", "soda"])
def test_missing_file_fails_with_error(tmp_path: Path, runner: str):
    missing = tmp_path / "nope.duckdb"
    r = {"freshness": lambda: freshness.run_freshness_gate(missing, now=NOW), "gx": lambda: gx(missing),
         "soda": lambda: soda(missing)}[runner]()
    assert r.success is False and "not found" in r.error
    assert not missing.exists(), "a gate created the candidate file"


def test_missing_table_fails_gx_with_error(make_candidate):
    r = gx(make_candidate("DROP TABLE marts.dim_indicator"))  # SYNTHETIC
    assert r.success is False
    assert "marts.dim_indicator does not exist" in r.error
    assert any(c.check == "gx:dim_indicator:schema(required columns)" and not c.success for c in r.checks)


def test_missing_table_fails_soda_with_error(make_candidate):
    r = soda(make_candidate("DROP TABLE marts.mart_gender_gap"))  # SYNTHETIC
    assert r.success is False
    assert r.error and "mart_gender_gap" in r.error
    assert any(c.dataset == "marts.mart_gender_gap" and not c.success for c in r.checks)


def test_missing_raw_batches_fails_freshness_with_error(make_candidate):
    r = freshness.run_freshness_gate(make_candidate("DROP TABLE raw.batches"), now=NOW)  # SYNTHETIC
    assert r.success is False and "batches" in r.error


def test_broken_suite_file_is_an_error_not_a_pass(good_candidate: Path, tmp_path: Path):
    gx_dir = tmp_path / "gx"
    shutil.copytree(freshness.EXPECTATIONS_DIR / "gx", gx_dir)
    spec = json.loads((gx_dir / "dim_area.json").read_text())
    spec["meta"]["jamstat"]["query"] = "SELECT no_such_column FROM marts.dim_area"  # SYNTHETIC broken suite
    (gx_dir / "dim_area.json").write_text(json.dumps(spec))
    r = gx(good_candidate, gx_dir=gx_dir)
    assert r.success is False and "dim_area" in r.error
    assert any(c.check == "gx:dim_area:suite" and c.status == "error" for c in r.checks)


def test_empty_contract_dir_is_an_error(good_candidate: Path, tmp_path: Path):
    (tmp_path / "soda").mkdir()
    r = soda(good_candidate, contracts_dir=tmp_path / "soda")
    assert r.success is False and "no Soda contracts" in r.error


def test_gate_with_nothing_evaluated_cannot_pass(good_candidate: Path):
    r = gx(good_candidate, suites=[])  # only the (skipped) previous-publication checks remain
    assert r.success is False
    assert "no check was evaluated" in r.error


# ---------------------------------------------------------------------------------------------- summary/report
def test_summary_and_report_name_the_failing_checks(make_candidate, tmp_path: Path):
    p = make_candidate(SYNTH_PERCENT_120, SYNTH_DUPLICATE)
    results = [freshness.run_freshness_gate(p, now=NOW), gx(p), soda(p)]
    text = report.summarize(results)
    assert text.splitlines()[0] == "QUALITY GATES: FAILED (1/3 gates passed)"
    assert "[percent 0-100]" in text and "expect_compound_columns_to_be_unique" in text
    assert "e.g. " in text and "0180" in text
    assert len(text.splitlines()) <= 45
    rep = report.write_report(results, tmp_path / "r" / "quality_report.md")
    md = rep.read_text()
    assert "FAILED — not publishable" in md and "### Needs attention" in md and "example:" in md
    # works on the JSON dicts the DAG stores, and on a dbt gate dict without status fields
    dicts = [json.loads(json.dumps(r.to_dict())) for r in results] + [
        {"gate": "dbt", "success": True, "checks": [], "error": None, "duration_s": 12.0}]
    assert report.summarize(dicts).startswith("QUALITY GATES: FAILED (2/4")
    report.write_report(dicts, tmp_path / "r2.md")


# ---------------------------------------------------------------------------------------------- real dbt build
@pytest.mark.slow
def test_gates_pass_on_a_real_dbt_built_candidate(tmp_path: Path):
    """tests/dbt/candidate_fixture.py (raw from recorded payloads) + one `dbt build` into tmp (the product's dbt
    runner), then every gate."""
    from datetime import UTC

    import duckdb

    from jamstat.transform.dbt_runner import ensure_dbt_packages, run_dbt
    from tests.dbt.candidate_fixture import build_candidate as build_real_candidate

    cand = tmp_path / "candidate.duckdb"
    build_real_candidate(cand)
    run_settings = settings.Settings.from_env()
    ensure_dbt_packages(run_settings)
    build = run_dbt(run_settings, "build", candidate=cand, target_path=tmp_path / "target", stream=lambda _l: None)
    assert build.success, build.summary()
    con = duckdb.connect(str(cand), read_only=True)
    newest = con.execute("SELECT max(fetched_at) FROM raw.batches").fetchone()[0]
    con.close()
    now = newest.replace(tzinfo=UTC) + timedelta(days=1)
    prev = tmp_path / "published.duckdb"
    shutil.copy(cand, prev)
    results = [freshness.run_freshness_gate(cand, now=now), gx(cand, previous_published_path=prev),
               soda_gate.run_soda_gate(cand, now=now)]
    assert all(r.success for r in results), report.summarize(results)
    assert results[1].n_evaluated > 50 and results[2].n_evaluated > 50
