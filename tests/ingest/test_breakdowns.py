"""Kolada paired KPIs as one indicator with a birth-region breakdown: the catalog names each KPI's live title,
the series map says which birth region it is, and both agree with Kolada's own KPI catalogue. SCB tables split by
birth region (TAB708 BakgrVar, ArbStatusM Fodelseregion): every selected code is a real one and has its rule."""
from __future__ import annotations

import csv
import json

from ingest.catalog import kolada_entry, kolada_indicators, load_catalog, scb_spec
from ingest.sources import scb
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


# ArbStatusM (BAS, monthly) metadata, assembled here from public sources: real codes and texts only, and only the
# ones seen. No recording of this table's metadata exists in the repo.
#   Region 00 / 20 / 2080: Region-Dalarna/hamta_data (find_string id 30291394757, region_vekt Finns list).
#   Kon 1 / 2 / 1+2, Alder 20-64 / 15-74, ContentsCode 000006IK, 000006II, 000006HI, 000004YH and Fodelseregion
#   tot / in / ut: the v1 ArbStatusM queries of teman/konjunktur/config.R (find_string id 62060430336), where
#   c("in") stands under "Inrikes födda (andel)" and c("ut") under "Utrikes födda (andel)".
#   Fodelseregion texts: Region-Dalarna/hamta_data@5a2239e
#   hamta_bas_arbstatus_region_kon_alder_fodelseregion_prel_manad_ArbStatusM_scb.R (find_string id 30483612662):
#   "Finns: "inrikes född", "utrikes född", "totalt"", in that order; each text goes with the code the config's
#   comment gives it. The 15-19 / 20-24 Alder codes were not seen, so the 15-24 spec is checked on Fodelseregion.
ARBSTATUSM_V1_METADATA = {
    "title": "",
    "variables": [
        {"code": "Region", "values": ["00", "20", "2080"]},
        {"code": "Kon", "values": ["1", "2", "1+2"]},
        {"code": "Alder", "values": ["20-64", "15-74"]},
        {"code": "Fodelseregion", "values": ["in", "ut", "tot"],
         "valueTexts": ["inrikes född", "utrikes född", "totalt"]},
        {"code": "ContentsCode", "values": ["000006HI", "000004YH", "000006II", "000006IK"]},
        {"code": "Tid", "values": ["2020M01", "2020M02"], "time": True},
    ],
}
ARBSTATUSM_ROWS = ("labour_status_by_birth_region_monthly", "unemployment_15_24_bas")
BIRTH_REGION_OF_TEXT = {"totalt": "", "inrikes född": "born_in_sweden", "utrikes född": "foreign_born"}


def test_arbstatusm_specs_select_the_public_birth_region_codes_and_each_has_its_rule():
    """Both ArbStatusM rows select Fodelseregion tot, in and ut; the codes resolve against the table's metadata as
    public sources show it, and agree with the value texts (label:inrikes född is the code in). Each selected code
    has series-map rules of exactly one birth region, the one its text says (totalt = the indicator's total)."""
    meta = scb.parse_v1_metadata(ARBSTATUSM_V1_METADATA, "AM/AM0210/AM0210A/ArbStatusM")
    fodelseregion = meta.var("Fodelseregion")
    text_of = dict(zip(fodelseregion.values, fodelseregion.labels, strict=True))
    catalog = {i.indicator_id: i for i in load_catalog()}
    for indicator_id in ARBSTATUSM_ROWS:
        (table,) = scb_spec(catalog[indicator_id]).tables
        selected = table.selection["Fodelseregion"]
        assert selected == ["tot", "in", "ut"], indicator_id
        where = f"{indicator_id}.Fodelseregion"
        resolved = [c for e in selected for c in scb.expand(e, fodelseregion.values, where, fodelseregion.labels)]
        assert resolved == selected
        for text, code in (("inrikes född", "in"), ("utrikes född", "ut"), ("totalt", "tot")):
            assert scb.expand(f"label:{text}", fodelseregion.values, where, fodelseregion.labels) == [code]
        assert set(table.contents_code.split(";")) <= set(meta.var("ContentsCode").values)
        rules = [r for r in _rows(SERIES_MAP) if r["indicator_id"] == indicator_id]
        for code in selected:
            regions = {r["birth_region"] for r in rules if f'"Fodelseregion":"{code}"' in r["dims_match"]}
            assert regions == {BIRTH_REGION_OF_TEXT[text_of[code]]}, (indicator_id, code, regions)
        # no rule of these rows leaves Fodelseregion open: a total would otherwise add tot + in + ut
        assert all('"Fodelseregion":"' in r["dims_match"] for r in rules), indicator_id
    # the employment row's whole selection resolves: every code it names was seen
    (employment,) = scb_spec(catalog["labour_status_by_birth_region_monthly"]).tables
    sels = {s.code: s.values for s in scb.resolve_selection(meta, employment)}
    assert sels["Fodelseregion"] == ("tot", "in", "ut") and sels["Alder"] == ("20-64",)
    assert sels["ContentsCode"] == ("000006IK",) and sels["Kon"] == ("1", "2", "1+2")
