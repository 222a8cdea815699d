"""CLI: normalize on the real recordings, fetch via replay, coverage."""
from __future__ import annotations

import csv
import io
import json
import os

import pytest
from click.testing import CliRunner

from ingest import kolada_kpi
from ingest.modes import base_urls
from jamstat.cli import main
from jamstat.settings import REPO_ROOT

REC = REPO_ROOT / "ingest" / "replay" / "recordings"


@pytest.fixture
def env(settings, replay_url, monkeypatch):
    monkeypatch.setenv("JAMSTAT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("JAMSTAT_MODE", "replay")
    monkeypatch.setenv("JAMSTAT_REPLAY_URL", replay_url)
    monkeypatch.setenv("JAMSTAT_CATALOG", str(settings.catalog_path))
    return settings


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_normalize_v1_recording_prints_expected_csv():
    res = CliRunner().invoke(main, ["normalize", "--source", "scb",
                                    str(REC / "scb/v1_HE0110_medianinkomst_riket_kon_jsonstat2.json")])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0] == "source,source_ref,area_code,period,sex,value,status,dims,is_deleted"
    assert lines[3] == 'scb,TAB3554/HE0110J8,00,2022,M,359.9,,"{""Alder"":""tot16+""}",False'
    assert len(lines) == 10
    got = {(r["sex"], r["period"]): r["value"] for r in _rows(res.stdout)}
    assert (got[("M", "2022")], got[("K", "2022")], got[("T", "2022")]) == ("359.9", "277.3", "316.6")


def test_normalize_v2_recording_with_table_override():
    res = CliRunner().invoke(main, ["normalize", "--source", "scb", "--table", "TAB6471",
                                    str(REC / "scb/v2_TAB6471_data_folkmangd_manad_lan_kon.json")])
    rows = _rows(res.stdout)
    assert len(rows) == 2772
    cell = {r["sex"]: r["value"] for r in rows
            if r["area_code"] == "01" and r["period"] == "2026M01" and json.loads(r["dims"]) == {"Alder": "0-9"}}
    assert cell == {"T": "245284", "M": "125373", "K": "119906"}


def test_normalize_kolada_recording():
    res = CliRunner().invoke(main, ["normalize", "--source", "kolada",
                                    str(REC / "kolada/v3_data_kpi_N21704_year_2023_trimmed.json")])
    lines = res.stdout.splitlines()
    assert lines[1:4] == ["kolada,N21704,0180,2023,T,21.88749,,{},False",
                          "kolada,N21704,0180,2023,K,25.688929,,{},False",
                          "kolada,N21704,0180,2023,M,15.778849,,{},False"]
    assert len(lines) == 16


def test_fetch_replay_prints_rows(env):
    res = CliRunner().invoke(main, ["fetch", "--kpi", "N00945", "--area", "0180", "--years", "2015-2024"])
    assert res.exit_code == 0, res.output
    rows = _rows(res.stdout)
    assert [r["period"] for r in rows] == [str(y) for y in range(2015, 2021)]  # recorded to 2020
    assert rows[0]["area_code"] == "0180" and rows[-1]["value"] == "40.8"


def test_coverage_names_every_indicator(env):
    urls = base_urls("replay", os.environ["JAMSTAT_REPLAY_URL"])
    kolada_kpi.ingest_kolada_kpi("N21704", mode="replay", base_urls=urls, run_id="r", settings=env, years=[2023])
    res = CliRunner().invoke(main, ["coverage", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["indicator_id"]: r for r in json.loads(res.stdout)}
    catalog = (REPO_ROOT / "dbt_project/seeds/indicator_catalog.csv").read_text("utf-8")
    assert len(rows) == len(list(csv.DictReader(io.StringIO(catalog))))
    home = next(r for r in rows.values() if r["ref"] == "N21704")
    assert home["batches"] == 1 and home["rows"] == 15 and home["last_fetched"]
    assert rows["population_by_sex_age"]["ingestible"] == "yes"
    assert rows["part_time_share_county_aku"]["ingestible"] == "no"
    assert "no PxWeb table found" in rows["part_time_share_county_aku"]["reason"]
    assert "file drop" in rows["part_time_share_county_aku"]["reason"]
    assert "look up live (jamstat preflight lists them): YHStudT1dN.UtbildnInriktn" in \
        rows["yh_it_technology_women_share"]["reason"]
    assert rows["life_expectancy_women"]["recorded"] == "data"  # its alternative SCB source TAB4394 is recorded
    assert "label:Antal studerande" in rows["yh_health_care_women_share"]["reason"]
    assert "no public source" in rows["perpetrator_programmes"]["reason"]
    assert "file drop" in rows["vab_fk_open_data"]["reason"]
    # how far each path is proven by the real recordings
    assert home["recorded"] == "data" and rows["population_by_sex_age"]["recorded"] == "data"
    assert rows["median_earned_income_16plus_scb"]["recorded"] == "data"
    assert rows["unemployment_15_24_bas"]["recorded"] == "spec"          # public-code evidence only
    assert rows["women_share_municipal_council"]["recorded"] == "metadata"  # title from the real KPI catalogue
    assert rows["perpetrator_programmes"]["recorded"] == ""


def test_describe_scb_lists_codes_texts_and_what_must_be_selected(env):
    """What an engineer needs to write an SCB spec, from the real recorded HE0110 metadata."""
    res = CliRunner().invoke(main, ["describe-scb", "HE/HE0110/HE0110A/SamForvInk1", "--values", "0"])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "Alder  19 values  [must be selected]" in out and "Kon  3 values  [can be eliminated]" in out
    assert "  HE0110J8       Medianinkomst, tkr" in out and "Tid  24 values  [time]" in out
    assert "  0180           Stockholm" in out  # --values 0: every code


def test_describe_scb_names_a_table_without_recording(env):
    res = CliRunner().invoke(main, ["describe-scb", "AM/AM0208/AM0208E/YREG50BAS"])
    assert res.exit_code == 1
    assert "YREG50BAS: metadata not recorded" in res.output and "--mode live" in res.output
