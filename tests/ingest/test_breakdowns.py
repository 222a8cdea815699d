"""Kolada paired KPIs as one indicator with a birth-region breakdown: the catalog names each KPI's live title,
the series map says which birth region it is, and both agree with Kolada's own KPI catalogue."""
from __future__ import annotations

import csv
import json

from ingest.catalog import kolada_entry, kolada_indicators, load_catalog
from tests.conftest import REPO

SERIES_MAP = REPO / "dbt_project" / "seeds" / "indicator_series_map.csv"
BIRTH_REGIONS = REPO / "dbt_project" / "seeds" / "birth_region.csv"
KPI_CATALOGUE = REPO / "ingest" / "reference" / "kolada_v3_kpi_catalogue_from_rKolada_sysdata.csv"


def _rows(path):
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_breakdown_kpi_has_a_title_a_group_and_its_indicator():
    catalog = {i.indicator_id: i for i in load_catalog()}
    titles = {r["id"]: r["title"] for r in _rows(KPI_CATALOGUE)}
    groups = {r["birth_region"] for r in _rows(BIRTH_REGIONS)}
    rules = [r for r in _rows(SERIES_MAP) if r["source"] == "kolada" and (r["birth_region"] or r["age_group"])]
    assert rules, "no Kolada breakdown declared"
    for rule in rules:
        ind = catalog[rule["indicator_id"]]
        declared = json.loads(ind.get("kolada_breakdown_titles") or "{}")
        assert rule["source_ref"] in declared, f"{rule['source_ref']}: no title in {ind.indicator_id}"
        assert declared[rule["source_ref"]] == titles[rule["source_ref"]]
        assert rule["source_ref"] in ind.get("ingest_source_refs").split(";")
        assert rule["birth_region"] in groups
    # and every titled breakdown KPI has its rule (else it would land as the indicator's total)
    ruled = {r["source_ref"] for r in rules}
    for ind in catalog.values():
        assert set(json.loads(ind.get("kolada_breakdown_titles") or "{}")) <= ruled, ind.indicator_id


def test_the_pairs_read_as_their_titles():
    rules = {r["source_ref"]: r for r in _rows(SERIES_MAP) if r["source"] == "kolada"}
    titles = {r["id"]: r["title"] for r in _rows(KPI_CATALOGUE)}
    for kpi, rule in rules.items():
        if rule["birth_region"] == "foreign_born":
            assert "utrikes födda" in titles[kpi], kpi
        if rule["birth_region"] == "born_in_sweden":
            assert "inrikes födda" in titles[kpi], kpi
    assert rules["N02268"]["indicator_id"] == rules["N02269"]["indicator_id"] == "employment_rate_20_64"
    assert rules["N02281"]["indicator_id"] == rules["N02282"]["indicator_id"] == "unemployment_20_64_bas"


def test_a_breakdown_kpi_is_checked_against_its_own_title():
    catalog = load_catalog()
    entry = kolada_entry(catalog, "N02268")
    assert entry.indicator_id == "employment_rate_20_64"
    assert entry.kolada_title == "Sysselsättningsgrad, utrikes födda 20-64 år, andel (%)"
    assert kolada_entry(catalog, "N02267").kolada_title == "Sysselsättningsgrad 20-64 år, andel (%)"
    assert sum(1 for i in kolada_indicators(catalog) if i.indicator_id == "employment_rate_20_64") == 3


def test_tab708_spec_selects_the_breakdown_codes_scb_publishes_and_each_has_its_rule():
    """TAB708 (women's share of the elected) is split by SCB's BakgrVar: the spec selects the total (samald), the
    birth regions and the age groups; every selected code is in the real TAB708 metadata recording, and every one
    has a series-map rule saying which breakdown it is (else it would land as undeclared dims)."""
    ind = next(i for i in load_catalog() if i.indicator_id == "women_share_elected_municipal")
    selected = json.loads(ind.get("scb_selection"))["BakgrVar"]
    meta = json.loads((REPO / "ingest/replay/recordings/scb_v2_atlas290/TAB708/metadata.json").read_text("utf-8"))
    labels = meta.get("response", meta)["dimension"]["BakgrVar"]["category"]["label"]
    assert set(selected) <= set(labels)
    rules = {json.loads(r["dims_match"])["BakgrVar"]: r for r in _rows(SERIES_MAP)
             if r["source_ref"] == "TAB708/0000009U"}
    assert set(rules) == set(selected)
    assert (rules["samald"]["birth_region"], rules["samald"]["age_group"]) == ("", "")  # the total
    assert rules["utrfodd"]["birth_region"] == "foreign_born" and labels["utrfodd"] == "utrikes födda"
    assert rules["inrfodd"]["birth_region"] == "born_in_sweden" and labels["inrfodd"] == "inrikes födda"
    ages = {code: r["age_group"] for code, r in rules.items() if r["age_group"]}
    assert ages == {"18-29": "18-29", "30-49": "30-49", "50-64": "50-64", "65+": "65+"}
    known_ages = {r["age_group"] for r in _rows(REPO / "dbt_project" / "seeds" / "age_group.csv")}
    assert set(ages.values()) <= known_ages
