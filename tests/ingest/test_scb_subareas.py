"""The sub-municipal selection of ArRegDesoStatusN (TAB6680): the catalog asks for riket, län, kommun and both SCB
versions of RegSO and DeSO, and nothing else.

The table's metadata is assembled here (no recording of it is stored): its Region codes are SCB's real code lists
(dbt_project/seeds/reference/scb_deso*.csv, scb_regso.csv, from SCB's key files) in the form Statistikdatabasen
writes them - TAB6680 lists 5,984 DeSO 2018 + 6,160 DeSO 2025 + 3,363 RegSO 2020 + 3,363 RegSO 2025 = 18,870
sub-municipal codes next to riket, 21 län and 290 kommuner. The other variables are as the catalog evidence
records them."""
from __future__ import annotations

import csv

from ingest.catalog import find_indicator, load_catalog, scb_spec
from ingest.sources import scb
from tests.conftest import REPO
from tools import derive_deso_seeds

SEEDS = REPO / "dbt_project" / "seeds" / "reference"


def _codes(name: str, column: str) -> list[str]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as f:
        return [r[column] for r in csv.DictReader(f)]


def _tab6680_metadata() -> scb.TableMeta:
    counties = _codes("swedish-geodata_counties.csv", "county_code")
    municipalities = _codes("kommuner_290_crosschecked.csv", "kommun_kod")
    subareas = _codes("scb_deso.csv", "deso_code") + _codes("scb_regso.csv", "regso_code")
    regions = ["00", *counties, *municipalities, *sorted(subareas)]
    doc = {"title": "Förvärvsarbetande (BAS) efter region (DeSO/RegSO), kön och ålder",
           "variables": [
               {"code": "Region", "text": "region", "values": regions, "valueTexts": regions},
               {"code": "Kon", "text": "kön", "values": ["1", "2", "1+2"], "valueTexts": ["män", "kvinnor", "totalt"]},
               {"code": "Alder", "text": "ålder", "values": ["20-64"], "valueTexts": ["20-64 år"]},
               {"code": "ContentsCode", "text": "tabellinnehåll", "values": ["0000089X", "0000089Y"],
                "valueTexts": ["antal sysselsatta", "antal totalt"]},
               {"code": "Tid", "text": "år", "values": ["2020", "2021", "2022", "2023", "2024"], "time": True}]}
    return scb.parse_v1_metadata(doc, "AM/AM0210/AM0210G/ArRegDesoStatusN")


def test_the_seeds_are_derived_unchanged_from_scbs_key_files():
    for name, text in derive_deso_seeds.derive().items():
        assert (SEEDS / name).read_text(encoding="utf-8") == text, f"{name}: run python -m tools.derive_deso_seeds"


def test_the_code_lists_hold_scbs_counts_per_version():
    versions = {}
    for name, kind in (("scb_deso.csv", "deso"), ("scb_regso.csv", "regso")):
        with (SEEDS / name).open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                versions[r[f"{kind}_version"]] = versions.get(r[f"{kind}_version"], 0) + 1
    assert versions == {"DeSO 2018": 5984, "DeSO 2025": 6160, "RegSO 2020": 3363, "RegSO 2025": 3363}


def test_the_selection_takes_every_area_level_and_both_versions():
    table = scb_spec(find_indicator(load_catalog(), "employment_rate_deso_regso")).tables[0]
    sels = {s.code: s.values for s in scb.resolve_selection(_tab6680_metadata(), table)}
    region = sels["Region"]
    assert len(region) == 1 + 21 + 290 + 18_870
    assert len(set(region)) == len(region)
    by_shape = {
        "deso 2018": [c for c in region if len(c) == 9 and c[4] in "ABC"],
        "deso 2025": [c for c in region if c.endswith("_DeSO2025")],
        "regso 2020": [c for c in region if len(c) == 8 and c[4] == "R"],
        "regso 2025": [c for c in region if c.endswith("_RegSO2025")],
    }
    assert {k: len(v) for k, v in by_shape.items()} == {"deso 2018": 5984, "deso 2025": 6160,
                                                        "regso 2020": 3363, "regso 2025": 3363}
    assert "0180C1010" in region and "0180C1010_DeSO2025" in region and "0180R001_RegSO2025" in region


def test_the_query_is_split_under_the_cell_limit_without_losing_a_cell():
    meta = _tab6680_metadata()
    table = scb_spec(find_indicator(load_catalog(), "employment_rate_deso_regso")).tables[0]
    sels = scb.resolve_selection(meta, table)
    chunks = scb.split_selection(sels, 150_000, scb.split_order(meta, sels))
    assert len(chunks) > 1
    assert all(scb.cells(c) <= 150_000 for c in chunks)
    assert sum(scb.cells(c) for c in chunks) == scb.cells(sels)


def test_population_by_deso_selects_the_total_age_by_its_text_and_every_area():
    """FolkmDesoAldKon: Alder is chosen by its value text 'totalt' (no public source shows the code; the codes
    below are placeholders - a live run reads them from the table's metadata), Kon and every area level as above."""
    regions = list(_tab6680_metadata().var("Region").values)
    doc = {"title": "Folkmängd efter region (DeSO/RegSO), ålder och kön",
           "variables": [
               {"code": "Region", "text": "region", "values": regions, "valueTexts": regions},
               {"code": "Alder", "text": "ålder", "values": ["A0", "A1", "A2"],
                "valueTexts": ["totalt", "0-4 år", "80- år"]},
               {"code": "Kon", "text": "kön", "values": ["1", "2", "1+2"], "valueTexts": ["män", "kvinnor", "totalt"]},
               {"code": "ContentsCode", "text": "tabellinnehåll", "values": ["000007Y7"], "valueTexts": ["Antal"]},
               {"code": "Tid", "text": "år", "values": ["2023", "2024"], "time": True}]}
    meta = scb.parse_v1_metadata(doc, "BE/BE0101/BE0101Y/FolkmDesoAldKon")
    table = scb_spec(find_indicator(load_catalog(), "population_by_sex_deso_regso")).tables[0]
    sels = {s.code: s.values for s in scb.resolve_selection(meta, table)}
    assert sels["Alder"] == ("A0",) and sels["Kon"] == ("1", "2", "1+2") and sels["ContentsCode"] == ("000007Y7",)
    assert len(sels["Region"]) == len(regions) == 1 + 21 + 290 + 18_870
