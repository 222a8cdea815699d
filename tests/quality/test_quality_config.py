"""The checked-in expectations (expectations/) are complete and consistent with each other and the catalog."""
from __future__ import annotations

import csv
import json
import re
from datetime import timedelta

import yaml

from jamstat import settings
from jamstat.gates import freshness, soda
from jamstat.gates import great_expectations as gx_gate
from tools import refresh_soda_contract

EXP = freshness.EXPECTATIONS_DIR
SODA_DATASOURCE_NAME = "jamstat_candidate"  # the name in expectations/soda/datasource.template.yml
CATALOG = settings.REPO_ROOT / "dbt_project" / "seeds" / "indicator_catalog.csv"


def _contract(name: str) -> dict:
    return yaml.safe_load((EXP / "soda" / f"{name}.yml").read_text(encoding="utf-8"))


def _suite(name: str) -> dict:
    return json.loads((EXP / "gx" / f"{name}.json").read_text(encoding="utf-8"))


def test_every_published_mart_has_a_contract_with_schema_row_count_and_keys():
    marts = sorted(p.stem for p in (settings.REPO_ROOT / "dbt_project" / "models" / "marts").glob("*.sql"))
    assert len(marts) >= 9
    for mart in marts:
        c = _contract(mart)
        assert c["dataset"] == f"{SODA_DATASOURCE_NAME}/marts/{mart}"
        kinds = {next(iter(k)) for k in c["checks"]}
        assert {"schema", "row_count"} <= kinds, mart
        col_checks = {(col["name"], next(iter(ch))) for col in c["columns"] for ch in col.get("checks") or []}
        has_key = any(k == "duplicate" for _, k in col_checks) or "duplicate" in kinds
        has_missing = any(k == "missing" for _, k in col_checks)
        assert has_missing, f"{mart}: no missing check on a key column"
        assert has_key, f"{mart}: no duplicate-key check"


def test_fct_contract_is_strict_and_typed():
    c = _contract("fct_indicator_value")
    schema = next(k["schema"] for k in c["checks"] if "schema" in k)
    assert not schema.get("allow_extra_columns")
    names = [col["name"] for col in c["columns"]]
    assert {"indicator_id", "area_code", "period", "year", "sex", "value", "status", "unit", "source", "batch_id",
            "fetched_at"} <= set(names)
    assert all(col.get("data_type") for col in c["columns"])


def test_freshness_limits_are_consistent():
    """Check-age limits (freshness.yml) are tighter than the content-age limits of the Soda fact contract:
    a source must be re-checked long before unchanged content could count as stale."""
    cfg = freshness.load_freshness_config()
    required = [s for s in cfg["sources"].values() if s["required"]]
    assert required
    fresh = next(k["freshness"] for k in _contract("fct_indicator_value")["checks"] if "freshness" in k)
    th = fresh["threshold"]
    assert th["unit"] == "day" and th["additional"]["level"] == "warn"
    content_error, content_warn = timedelta(days=th["must_be_less_than"]), timedelta(days=th["additional"]["must_be_less_than"])
    assert content_warn < content_error
    assert max(s["error_after"] for s in required) < content_warn
    for s in cfg["sources"].values():
        assert s["warn_after"] < s["error_after"]


def test_every_catalog_unit_and_source_is_allowed():
    with open(CATALOG, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    units = {r["unit"] for r in rows}
    sources = {r["source"] for r in rows}
    dim = {e["kwargs"]["column"]: e["kwargs"].get("value_set") for e in _suite("dim_indicator")["expectations"]
           if e["type"] == "expect_column_values_to_be_in_set"}
    assert units <= set(dim["unit"]), units - set(dim["unit"])
    assert sources <= set(dim["source"])
    soda_units = next(ch["invalid"]["valid_values"] for col in _contract("dim_indicator")["columns"]
                      if col["name"] == "unit" for ch in col["checks"] if "invalid" in ch)
    assert set(soda_units) == set(dim["unit"])
    # every unit has a range rule in the fct suite, or is explicitly unbounded
    conds = " ".join(gx_gate.condition_text(e["kwargs"]["row_condition"])
                     for e in _suite("fct_indicator_value")["expectations"] if "row_condition" in e["kwargs"])
    for u in units - {"none"}:
        assert f'"{u}"' in conds, f"unit {u} has no value-range rule in expectations/gx/fct_indicator_value.json"


def test_range_exceptions_are_the_same_in_gx_and_soda_and_exist_in_the_catalog():
    with open(CATALOG, encoding="utf-8") as fh:
        ids = {r["indicator_id"]: r["unit"] for r in csv.DictReader(fh)}
    gx_percent = next(e for e in _suite("fct_indicator_value")["expectations"]
                      if e.get("meta", {}).get("range") == "percent 0-100")
    gx_ids = set(re.findall(r'"([a-z0-9_]+)"', gx_gate.condition_text(gx_percent["kwargs"]["row_condition"]))) - {"percent"}
    value_col = next(col for col in _contract("fct_indicator_value")["columns"] if col["name"] == "value")
    soda_filter = next(ch["invalid"]["filter"] for ch in value_col["checks"]
                       if ch["invalid"].get("name") == "percent value within 0-100")
    soda_ids = set(re.findall(r"'([a-z0-9_]+)'", soda_filter)) - {"percent"}
    assert gx_ids == soda_ids and gx_ids
    assert all(ids.get(i) == "percent" for i in gx_ids), {i: ids.get(i) for i in gx_ids}


def test_gx_suites_are_valid_gx_suites(tmp_path):
    runner = gx_gate._GxRunner(tmp_path / "candidate.duckdb")  # builds suites only, never connects
    for spec in gx_gate.load_gx_suites():
        suite = runner.suite_from_json(spec)
        assert len(suite.expectations) == len(spec["expectations"]) > 0
        j = spec["meta"]["jamstat"]
        assert ("query" in j and "table" in j and j.get("required_columns")) or "dynamic" in j


def test_datasource_template_is_read_only(tmp_path):
    ds = soda.render_soda_datasource(tmp_path / "c.duckdb", tmp_path)
    d = yaml.safe_load(ds.read_text())
    assert d["type"] == "duckdb" and d["name"] == SODA_DATASOURCE_NAME
    assert d["connection"]["read_only"] is True
    assert d["connection"]["database"] == str((tmp_path / "c.duckdb").resolve())


def test_refresh_contract_columns_keeps_checks(tmp_path):
    src = EXP / "soda" / "dim_area.yml"
    target = tmp_path / "dim_area.yml"
    target.write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"nodes": {"model.jamstat.dim_area": {"columns": {
        "area_code": {"name": "area_code", "type": "VARCHAR", "index": 1},
        "area_name": {"name": "area_name", "type": "VARCHAR", "index": 2},
        "area_level": {"name": "area_level", "type": "VARCHAR", "index": 3},
        "population": {"name": "population", "type": "BIGINT", "index": 4}}}}}))
    assert refresh_soda_contract.main([str(target), "--catalog", str(catalog)]) == 0
    text = target.read_text()
    new = yaml.safe_load(text)
    assert [c["name"] for c in new["columns"]] == ["area_code", "area_name", "area_level", "population"]
    assert new["columns"][0]["checks"] == yaml.safe_load(src.read_text())["columns"][0]["checks"]
    assert text.startswith("# Soda v4 contract")  # comments survive
