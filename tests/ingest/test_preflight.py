"""`jamstat preflight`: metadata-only checks of every catalog API row, against the recordings (replay) and
SYNTHETIC fault servers shaped like the real APIs (live mode against 127.0.0.1)."""
from __future__ import annotations

import json
import math
import socket

import pytest
from click.testing import CliRunner

from ingest import preflight
from ingest.catalog import has_scb_spec, kolada_kpis, load_catalog
from ingest.http import LIMITER
from jamstat.cli import main
from jamstat.settings import REPO_ROOT
from tests.ingest.conftest import catalog_with
from tests.ingest.synthetic import Reply, ScriptedServer

RECORDINGS = REPO_ROOT / "ingest" / "replay" / "recordings"
TAB5557 = json.loads((RECORDINGS / "scb_v2_atlas290/TAB5557/metadata.json").read_text("utf-8"))["response"]


def _by_id(checks) -> dict[str, preflight.RowCheck]:
    return {c.indicator_id: c for c in checks}


def _edit(indicator_id, **columns):
    def edit(row):
        if row["indicator_id"] == indicator_id:
            row.update(columns)
    return edit


def test_replay_passes_every_recorded_row_and_names_each_unverified(monkeypatch):
    monkeypatch.delenv("JAMSTAT_REPLAY_URL", raising=False)
    result = CliRunner().invoke(main, ["preflight", "--mode", "replay"])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.output.splitlines() if ln and not ln.startswith(("\n", " "))][:-1]
    rows = preflight.api_rows(load_catalog())
    assert len(lines) == len(rows)  # one line per catalog API row
    by_id = {ln.split()[0]: ln for ln in lines}
    assert "OK: Kolada N00925: title and gender flag match; SCB TAB4394: 7,488 cells in one query" in \
        by_id["life_expectancy_women"]
    assert not any("will fail" in ln for ln in lines)
    unverified = [ln for ln in lines if "unverified:" in ln]
    assert unverified and all("no recording" in ln or "look up live" in ln for ln in unverified)
    assert "YHStudT1dN: no recording of its metadata; look up live: UtbildnInriktn" in \
        by_id["yh_it_technology_women_share"]
    assert "unverified" in result.output.splitlines()[-1]


def test_wrong_kolada_title_will_fail(settings, replay_urls, http, tmp_path):
    st = catalog_with(settings, tmp_path, edit=_edit("women_share_chairs_municipal", kolada_title="Något annat"))
    checks = _by_id(preflight.run_preflight(st, "replay", replay_urls, http))
    c = checks["women_share_chairs_municipal"]
    assert c.status == preflight.FAIL and "live title 'Kvinnor på ordförandeposter i kommunen, andel (%)'" in c.detail
    assert preflight.exit_code(list(checks.values())) == 1
    assert checks["women_share_chairs_region"].status == preflight.OK  # the others go on


def test_non_eliminable_variable_left_out_will_fail(settings, replay_urls, http, tmp_path):
    """The pre-fix TAB5557 spec (Region, Kon only), against TAB5557's real metadata."""
    cat = load_catalog(settings.catalog_path)
    succ = json.loads(next(i for i in cat if i.indicator_id == "population_by_sex_age").get("scb_successors"))
    for t in succ:
        if t["table"] == "TAB5557":
            t["selection"] = {"Region": ["*"], "Kon": ["*"]}
    st = catalog_with(settings, tmp_path, edit=_edit("population_by_sex_age", scb_successors=json.dumps(succ)))
    c = _by_id(preflight.run_preflight(st, "replay", replay_urls, http, only=["population_by_sex_age"]))
    check = c["population_by_sex_age"]
    assert check.status == preflight.FAIL
    assert "TAB5557: TAB5557.Civilstand: variable cannot be eliminated and has no selection" in check.detail


def test_over_limit_query_reports_its_split(settings, replay_urls, http, tmp_path):
    """Every age of TAB638 (real metadata): 14.5 million cells, more than maxDataCells, so it will be split."""
    sel = {"Region": ["*"], "Civilstand": ["*"], "Alder": ["*"], "Kon": ["*"]}
    st = catalog_with(settings, tmp_path, edit=_edit("population_by_sex_age", scb_selection=json.dumps(sel)))
    check = _by_id(preflight.run_preflight(st, "replay", replay_urls, http, only=["population_by_sex_age"]))[
        "population_by_sex_age"]
    cells = 312 * 4 * 102 * 2 * 57
    assert f"TAB638: {cells:,} cells > maxDataCells 150,000, split into " in check.detail
    queries = int(check.detail.split("split into ")[1].split()[0])
    assert queries >= math.ceil(cells / 150000) and check.status == preflight.UNVERIFIED  # BefolkningNy unrecorded


def _scb_server(max_cells: int, tables: dict[str, dict]):
    """SYNTHETIC PxWebApi 2 limits with REAL table metadata; other tables answer 404 problem+json."""
    def handler(req):
        if req.path.endswith("/config"):
            return Reply(200, {"maxDataCells": max_cells, "maxCallsPerTimeWindow": 30, "timeWindow": 10})
        table = req.path.split("/")[-2] if req.path.endswith("/metadata") else None
        if table in tables:
            return Reply(200, tables[table])
        return Reply(404, {"title": "Not Found", "status": 404}, content_type="application/problem+json")
    return handler


def _scb_row(table: str, selection: dict, successors: list | None = None) -> dict:
    return {"indicator_id": "synthetic_scb", "goal_id": "0", "subgoal_id": "0.0", "source": "scb",
            "source_ref": "SYNTHETIC", "unit": "count", "measure_type": "value_by_sex", "by_sex": "yes",
            "scb_api": "v2", "scb_table": table, "scb_contents_code": "000007ME",
            "scb_selection": json.dumps(selection), "scb_successors": json.dumps(successors or [])}


def test_query_that_cannot_be_split_will_fail(settings, http, tmp_path):
    sel = {"Region": {"codelist": "vs_CKM02Län", "valueCodes": ["*"]}, "Civilstand": ["SC"], "Alder": ["TotSA"]}
    st = catalog_with(settings, tmp_path, [_scb_row("TAB5557", sel)])
    with ScriptedServer(_scb_server(100, {"TAB5557": TAB5557})) as srv:
        urls = {"kolada": srv.url + "/kolada", "scb_v2": srv.url + "/api/v2", "scb_v1": srv.url + "/v1"}
        check = _by_id(preflight.run_preflight(st, "live", urls, http, only=["synthetic_scb"]))["synthetic_scb"]
    assert check.status == preflight.FAIL and "cannot be split below maxDataCells=100" in check.detail
    assert all(r.method == "GET" for r in srv.requests)  # metadata calls only


def test_missing_table_will_fail_unless_another_table_is_offered(settings, http, tmp_path):
    sel = {"Civilstand": ["SC"], "Alder": ["TotSA"]}
    with ScriptedServer(_scb_server(150000, {"TAB5557": TAB5557})) as srv:
        urls = {"kolada": srv.url + "/kolada", "scb_v2": srv.url + "/api/v2", "scb_v1": srv.url + "/v1"}
        gone = catalog_with(settings, tmp_path, [_scb_row("TAB0001", sel)])
        c = _by_id(preflight.run_preflight(gone, "live", urls, http, only=["synthetic_scb"]))["synthetic_scb"]
        assert c.status == preflight.FAIL and "no table of the spec is offered: TAB0001: not offered (HTTP 404)" \
            in c.detail
        (tmp_path / "b").mkdir()
        succ = [{"api": "v2", "table": "TAB5557", "contents_code": "000007ME", "selection": sel, "evidence": "x"}]
        fallback = catalog_with(settings, tmp_path / "b", [_scb_row("TAB0001", sel, succ)])
        c = _by_id(preflight.run_preflight(fallback, "live", urls, http, only=["synthetic_scb"]))["synthetic_scb"]
    assert c.status == preflight.OK and "TAB0001: not offered (HTTP 404); TAB5557: 1 cell in one query" in c.detail


def test_lookup_row_lists_what_to_look_up_live(settings, http):
    """A row whose codes are not public: preflight (live) prints the table's codes and texts for each variable to
    look up or still to select. SYNTHETIC v1 metadata shaped like YREG03EGF12's public title."""
    meta = {"title": "Egna företagare", "variables": [
        {"code": "Yrke2012", "text": "yrke", "values": ["0110", "1111"], "valueTexts": ["Officerare", "Politiker"]},
        {"code": "Fodelseland", "text": "födelseland", "values": ["1", "2"], "valueTexts": ["inrikes", "utrikes"]},
        {"code": "Kon", "text": "kön", "values": ["1", "2"], "valueTexts": ["män", "kvinnor"], "elimination": True},
        {"code": "ContentsCode", "text": "tabellinnehåll", "values": ["XX01"], "valueTexts": ["Egna företagare"]},
        {"code": "Tid", "text": "år", "values": ["2018"], "valueTexts": ["2018"], "time": True}]}
    with ScriptedServer([Reply(200, meta)]) as srv:
        urls = {"kolada": srv.url + "/kolada", "scb_v2": srv.url + "/api/v2", "scb_v1": srv.url + "/v1"}
        c = _by_id(preflight.run_preflight(settings, "live", urls, http,
                                           only=["women_share_self_employed_by_birth"]))[
            "women_share_self_employed_by_birth"]
    assert c.status == preflight.UNVERIFIED
    assert "YREG03EGF12.Yrke2012 = must be selected (the table has 2 codes: 0110 'Officerare', 1111 'Politiker')" \
        in c.detail
    assert "YREG03EGF12.Fodelseland = must be selected" in c.detail and "Kon" not in c.detail.split("look up")[1]
    assert "YREG03EGF12.ContentsCode = the ContentsCode of the number of self-employed" in c.detail
    assert "XX01 'Egna företagare'" in c.detail


def test_kolada_titles_are_checked_25_kpis_per_request_and_paced(settings, http):
    derived = RECORDINGS / "kolada" / "derived"

    def handler(req):  # the derived KPI metadata (real catalogue values) for the ids asked
        ids = req.path.rsplit("/", 1)[-1].split(",")
        return Reply(200, {"values": [json.loads((derived / f"v3_kpi_{i}.json").read_text("utf-8"))["values"][0]
                                      for i in ids]})

    kpis = kolada_kpis(load_catalog())
    with ScriptedServer(handler) as srv:
        urls = {"kolada": srv.url + "/kolada/v3", "scb_v2": srv.url + "/api/v2", "scb_v1": srv.url + "/v1"}
        only = [i.indicator_id for i in load_catalog() if i.source == "kolada" and not has_scb_spec(i)]
        checks = preflight.run_preflight(settings, "live", urls, http, only=only)
    assert len(srv.requests) == math.ceil(len(kpis) / 25)
    assert all(c.status == preflight.OK for c in checks) and len(checks) == len(only)
    assert LIMITER.interval(srv.url.split("//")[1]) == pytest.approx(0.2)


def test_offline_in_auto_mode_says_so_with_its_own_exit_code(monkeypatch):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("JAMSTAT_KOLADA_URL", f"http://127.0.0.1:{port}/v3")
    monkeypatch.setenv("JAMSTAT_SCB_V2_URL", f"http://127.0.0.1:{port}/api/v2")
    monkeypatch.setenv("JAMSTAT_MODE", "auto")
    result = CliRunner().invoke(main, ["preflight"])
    assert result.exit_code == preflight.OFFLINE_EXIT == 3
    assert "offline" in result.output and "--mode replay" in result.output
