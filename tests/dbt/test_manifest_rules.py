"""Project conventions (dbt Labs layering and naming) checked on target/manifest.json: layer names, folders and
materialisations, sources and seeds read only in staging, one YAML per model folder, mart contracts, tests and
descriptions, freshness limits."""
from __future__ import annotations

import re

import pytest
import yaml

from jamstat.transform.dbt_runner import source_freshness_vars
from tests.dbt.candidate_fixture import REPO

pytestmark = pytest.mark.slow

LAYERS = {
    "staging": (re.compile(r"^stg_[a-z0-9]+__[a-z0-9_]+$"), {"view"}),
    # intermediate models live in the non-exposed `intermediate` schema; a model with several readers may be
    # a table so its chain is computed once (an exception declared in dbt_project.yml)
    "intermediate": (re.compile(r"^int_[a-z0-9_]+$"), {"view", "table", "ephemeral"}),
    "marts": (re.compile(r"^(dim|fct|mart)_[a-z0-9_]+$"), {"table"}),
}
MODELS_DIR = REPO / "dbt_project" / "models"
REQUIRED_MARTS = {"dim_area", "dim_sex", "dim_period", "dim_indicator", "dim_goal", "fct_indicator_value",
                  "mart_gender_gap", "mart_goal_followup", "mart_area_benchmark"}


def _models(manifest):
    return {n["name"]: n for n in manifest["nodes"].values()
            if n["resource_type"] == "model" and n["package_name"] == "jamstat"}


def _layer(node) -> str:
    return node["original_file_path"].split("/")[1]


def test_names_folders_materializations(manifest):
    models = _models(manifest)
    assert REQUIRED_MARTS <= set(models)
    for name, node in models.items():
        layer = _layer(node)
        assert layer in LAYERS, f"{name}: unexpected folder {node['original_file_path']}"
        pattern, materialized = LAYERS[layer]
        assert pattern.match(name), f"{name} breaks the {layer} naming rule"
        assert node["config"]["materialized"] in materialized, name
        assert node["schema"] == layer, f"{name} built in schema {node['schema']}"
        if layer == "staging":
            source = name.split("__")[0][len("stg_"):]
            assert node["original_file_path"].startswith(f"models/staging/{source}/"), name


def test_source_only_in_staging(manifest):
    for name, node in _models(manifest).items():
        if _layer(node) != "staging":
            assert not node["sources"], f"{name} reads a source directly"
            assert not any(d.startswith("source.") for d in node["depends_on"]["nodes"]), name
    for path in (REPO / "dbt_project/models").rglob("*.sql"):
        if "staging" not in path.parts:
            assert "source(" not in path.read_text(), path


def test_seeds_read_only_in_staging(manifest):
    """A seed is typed and renamed once, in its stg_ model; everything downstream refs that model."""
    models = _models(manifest)
    staged = set()
    for name, node in models.items():
        seeds = {d for d in node["depends_on"]["nodes"] if d.startswith("seed.")}
        if _layer(node) == "staging":
            staged |= seeds
        else:
            assert not seeds, f"{name} refs seed(s) {sorted(seeds)}: ref their stg_ model instead"
    all_seeds = {uid for uid, n in manifest["nodes"].items()
                 if n["resource_type"] == "seed" and n["package_name"] == "jamstat"}
    assert all_seeds and all_seeds == staged, f"seeds without a staging model: {sorted(all_seeds - staged)}"
    for unit in manifest.get("unit_tests", {}).values():   # unit-test inputs stand in for what the model refs
        inputs = " ".join(str(g["input"]) for g in unit["given"])
        for seed in all_seeds:
            assert f"ref('{manifest['nodes'][seed]['name']}')" not in inputs, unit["name"]


def test_materialisations_come_from_dbt_project_yml(manifest):
    """Folder defaults and every exception live in dbt_project.yml, not in a model's config() block."""
    project = yaml.safe_load((REPO / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))
    folders = project["models"]["jamstat"]
    for name, node in _models(manifest).items():
        folder = folders[_layer(node)]
        declared = (folder.get(name) or {}).get("+materialized", folder["+materialized"])
        assert node["config"]["materialized"] == declared, f"{name}: materialised outside dbt_project.yml"
    for path in MODELS_DIR.rglob("*.sql"):
        # a config() block says materialized='table'; the macro inline_cte() (NOT MATERIALIZED) is a CTE hint,
        # not a materialisation
        assert not re.search(r"\bmaterialized\s*=", path.read_text(encoding="utf-8")), \
            f"{path}: set it in dbt_project.yml"


def test_one_yaml_per_model_folder(manifest):
    """Each layer folder has one YAML (staging's holds its sources too); unit tests sit beside their model."""
    for folder in LAYERS:
        ymls = sorted(p.name for p in (MODELS_DIR / folder).rglob("*.yml"))
        assert ymls == [f"_{folder}.yml"], f"models/{folder}: {ymls}"
    models = _models(manifest)
    units = list(manifest.get("unit_tests", {}).values())
    assert units
    for unit in units:
        layer = _layer(models[unit["model"]])
        assert unit["original_file_path"] == f"models/{layer}/_{layer}.yml", unit["name"]


def _tests_on(manifest, unique_id):
    return [n for n in manifest["nodes"].values()
            if n["resource_type"] == "test" and unique_id in n["depends_on"]["nodes"]]


def test_marts_have_contracts_pk_tests_and_docs(manifest):
    for name, node in _models(manifest).items():
        if _layer(node) != "marts":
            continue
        assert node["config"]["contract"]["enforced"], f"{name}: contract not enforced"
        assert node["description"].strip(), f"{name}: no description"
        assert node["columns"], name
        for col, spec in node["columns"].items():
            assert spec.get("data_type"), f"{name}.{col}: no data_type"
            assert spec.get("description", "").strip(), f"{name}.{col}: no description"
        tests = _tests_on(manifest, node["unique_id"])
        pk = [t for t in tests if (t.get("test_metadata") or {}).get("name") == "unique_combination_of_columns"]
        assert pk, f"{name}: no primary-key (unique combination) test"
        pk_cols = pk[0]["test_metadata"]["kwargs"]["combination_of_columns"]
        not_null_cols = {t["column_name"] for t in tests if (t.get("test_metadata") or {}).get("name") == "not_null"}
        assert set(pk_cols) <= not_null_cols, f"{name}: PK columns without not_null"


def test_fact_foreign_keys_have_relationships(manifest):
    models = _models(manifest)
    fct = models["fct_indicator_value"]
    rel = {t["column_name"] for t in _tests_on(manifest, fct["unique_id"])
           if (t.get("test_metadata") or {}).get("name") == "relationships"}
    assert {"indicator_id", "area_code", "period", "sex", "batch_id"} <= rel


def test_sources_declare_freshness(manifest):
    """Every source has limits, and they are the ones in expectations/freshness.yml (the build passed them)."""
    limits = source_freshness_vars(REPO / "expectations" / "freshness.yml")["source_freshness"]
    sources = list(manifest["sources"].values())
    assert {s["source_name"] for s in sources} == set(limits) >= {"kolada", "scb", "file", "ingest"}
    for s in sources:
        assert s["schema"] == "raw"
        assert s["loaded_at_field"] == "fetched_at", s["unique_id"]
        fresh = s["freshness"]
        assert fresh["warn_after"]["count"], s["unique_id"]
        assert {k: fresh[k] for k in ("warn_after", "error_after")} == limits[s["source_name"]], s["unique_id"]
        if s["source_name"] != "file":   # file drops are occasional: warn only
            assert fresh["error_after"]["count"], s["unique_id"]


def test_unit_tests_cover_gap_mart(manifest):
    units = [u for u in manifest.get("unit_tests", {}).values() if u["model"] == "mart_gender_gap"]
    assert len(units) >= 3


def test_no_hub_packages():
    text = (REPO / "dbt_project/packages.yml").read_text()
    assert "package:" not in text and "git:" not in text and "local: packages/" in text


def test_relation_names_fit_postgres(manifest):
    """PostgreSQL truncates nothing: a model, seed or unit-test relation name over 63 characters fails the
    build on the BI target (a unit test once did), though DuckDB accepts it."""
    names = [n["name"] for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed", "snapshot")]
    names += [u["name"] for u in manifest.get("unit_tests", {}).values()]  # a unit test builds a relation too
    assert names and not [n for n in names if len(n) > 63]
