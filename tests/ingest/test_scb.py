"""SCB PxWeb: replay of the real v2 TAB6471, TAB638, TAB4394, TAB708 / v1 HE0110 recordings, the real TAB5557
metadata, and SYNTHETIC fault tests."""
from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from ingest import scb_spec as scb_unit
from ingest.catalog import ScbTable, find_indicator, load_catalog, scb_spec
from ingest.http import ClientError, HttpError
from ingest.sources import scb
from jamstat.settings import REPO_ROOT
from tests.ingest.conftest import catalog_with
from tests.ingest.synthetic import Reply, ScriptedServer, jsonstat_cube

REC = REPO_ROOT / "ingest" / "replay" / "recordings" / "scb"
ATLAS = REPO_ROOT / "ingest" / "replay" / "recordings" / "scb_v2_atlas290"


def _atlas_meta(table: str) -> scb.TableMeta:
    return scb.parse_v2_metadata(json.loads((ATLAS / table / "metadata.json").read_text("utf-8"))["response"], table)


def _frame(settings, batch_id):
    return pq.read_table(settings.batches_dir / "scb" / f"{batch_id}.parquet").to_pandas()


def test_tab6471_replayed_golden_values_and_ckm_noise(settings, replay_urls, http):
    s = scb_unit.ingest_scb_table("population_by_sex_age", mode="replay", base_urls=replay_urls, run_id="t",
                               settings=settings, http=http)
    assert s["status"] == "loaded" and s["rows"] == 96 + 2772
    by_table = {c["table"]: c for c in s["chunks"]}
    assert by_table["TAB6471"]["status"] == by_table["TAB638"]["status"] == "loaded"
    for t in ("BE/BE0101/BE0101A/BefolkningNy", "TAB5557"):
        assert by_table[t]["status"] == "no_recorded_data"  # named, never fabricated
    df = _frame(settings, by_table["TAB6471"]["batch_id"])
    cell = df[(df.area_code == "01") & (df.period == "2026M01") & (df.dims == '{"Alder":"0-9"}')]
    v = cell.set_index("sex")["value"]
    assert (v["T"], v["M"], v["K"]) == (245284, 125373, 119906)
    assert v["T"] != v["M"] + v["K"]  # Cell Key Method noise is preserved, not "fixed"
    assert set(df.source_ref) == {"TAB6471/000007SF"}
    assert sorted(df.area_code.unique())[:3] == ["01", "03", "04"]
    manifest = json.loads((settings.batches_dir / "scb" / f"{by_table['TAB6471']['batch_id']}.json").read_text())
    assert any("Cell Key Method" in n for n in manifest["notes"])
    assert any(n.startswith("Alder: ") for n in manifest["notes"])
    post = [r for r in manifest["responses"] if r["method"] == "POST"][0]
    assert post["request_body"]["selection"][0] == {"variableCode": "Region", "valueCodes": ["*"],
                                                    "codelist": "vs_CKM02Län"}
    assert "outputFormat=json-stat2" in post["url"]


def test_tab638_primary_replays_the_recorded_cells_of_a_wider_query(settings, replay_urls, http):
    """TAB638 (v2 id of BefolkningNy) is the primary path. The spec asks for every area and year; replay answers
    with the two recorded kommuner and six years, says so, and the values are SCB's (Södertälje's 1997 -> 1998
    drop of 7,150 when Nykvarn split off, as the recorder's own check shows)."""
    s = scb_unit.ingest_scb_table("population_by_sex_age", mode="replay", base_urls=replay_urls, run_id="t",
                                  settings=settings, http=http)
    chunk = next(c for c in s["chunks"] if c["table"] == "TAB638")
    assert chunk["cells"] == 312 * 4 * 1 * 2 * 1 * 57 and chunk["rows"] == 96
    manifest = json.loads((settings.batches_dir / "scb" / f"{chunk['batch_id']}.json").read_text("utf-8"))
    assert any("recording of part of the requested cells" in n for n in manifest["notes"])
    df = _frame(settings, chunk["batch_id"])
    assert set(df.source_ref) == {"TAB638/BE0101N1"} and set(df.area_code) == {"0140", "0181"}
    total = df[df.area_code == "0181"].groupby("period")["value"].sum()
    assert total["1998"] - total["1997"] == -7150
    assert df[(df.area_code == "0140") & (df.period == "1996")]["value"].sum() == 0  # Nykvarn did not exist yet
    assert set(df.dims.map(lambda d: json.loads(d)["Civilstand"])) == {"OG", "G", "SK", "ÄNKL"}


def test_tab5557_needs_civil_status_and_age_totals_real_metadata():
    """TAB5557's real metadata marks Civilstand and Alder not eliminable: the old spec (Region, Kon only) is
    rejected before any request, naming the variable; the catalog's spec selects SC and TotSA (one cell per
    area and sex), not Alder=* (single years, age groups and four totals mixed)."""
    meta = _atlas_meta("TAB5557")
    with pytest.raises(scb.SelectionError, match="Civilstand.*cannot be eliminated"):
        scb.resolve_selection(meta, ScbTable("v2", "TAB5557", "000007ME", {"Region": ["*"], "Kon": ["*"]}))
    spec = scb_spec(find_indicator(load_catalog(), "population_by_sex_age"))
    tab5557 = next(t for t in spec.tables if t.table == "TAB5557")
    sels = {v.code: v.values for v in scb.resolve_selection(meta, tab5557)}
    assert sels["Civilstand"] == ("SC",) and sels["Alder"] == ("TotSA",)
    assert sels["Kon"] == ("TotSa", "1", "2") and sels["Tid"] == ("2025",) and len(sels["Region"]) == 312


def test_life_expectancy_rows_share_one_table_and_contents_code(settings, replay_urls, http):
    """Two catalog rows fetch TAB4394/000000NH, each its own sex; each batch's unit names its spec, which is
    how dbt tells them apart. The window period and the one null cell (Knivsta before it existed) stay as SCB
    gives them."""
    out = {}
    for spec_id, sex in (("life_expectancy_women", "K"), ("life_expectancy_men", "M")):
        s = scb_unit.ingest_scb_table(spec_id, mode="replay", base_urls=replay_urls, run_id="t",
                                      settings=settings, http=http)
        assert s["status"] == "loaded" and s["rows"] == 290 * 24
        manifest = json.loads((settings.batches_dir / "scb" / f"{s['batch_ids'][0]}.json").read_text("utf-8"))
        assert manifest["unit"].startswith(f"scb:{spec_id}:TAB4394:")
        df = _frame(settings, s["batch_ids"][0])
        assert set(df.sex) == {sex} and set(df.source_ref) == {"TAB4394/000000NH"}
        out[sex] = df.set_index(["area_code", "period"])["value"]
    assert "2019-2023" in out["K"].index.get_level_values("period")
    knivsta = out["K"][("0330", "1998-2002")]
    assert knivsta != knivsta  # NaN: SCB's '..'
    gap = (out["K"] - out["M"]).dropna()
    assert gap.min() == pytest.approx(-0.49) and gap.max() == pytest.approx(10.57)


def test_he0110_v1_replayed_golden_values(settings, replay_urls, http):
    s = scb_unit.ingest_scb_table("median_earned_income_16plus_scb", mode="replay", base_urls=replay_urls,
                               run_id="t", settings=settings, http=http)
    assert s["status"] == "loaded" and s["rows"] == 9
    loaded = [c for c in s["chunks"] if c["status"] == "loaded"][0]
    df = _frame(settings, loaded["batch_id"])
    v = df[df.period == "2022"].set_index("sex")["value"]
    assert (v["M"], v["K"], v["T"]) == (359.9, 277.3, 316.6)
    assert set(df.area_code) == {"00"} and set(df.source_ref) == {"SamForvInk1/HE0110J8"}
    assert set(df.dims) == {'{"Alder":"tot16+"}'}
    manifest = json.loads((settings.batches_dir / "scb" / f"{loaded['batch_id']}.json").read_text())
    sent = [r for r in manifest["responses"] if r["method"] == "POST"][0]["request_body"]
    recorded = json.loads((REC / "v1_HE0110_medianinkomst_riket_kon_query.json").read_text("utf-8"))
    assert sent == recorded  # exactly the recorded query body
    # its v2 id TAB3554 (the primary path) is not recorded: named, and the v1 fallback lands the recording
    assert [c["status"] for c in s["chunks"] if c["table"] == "TAB3554"] == ["no_recorded_data"]


def test_second_run_is_a_noop(settings, replay_urls, http):
    a = scb_unit.ingest_scb_table("median_earned_income_16plus_scb", mode="replay", base_urls=replay_urls,
                               run_id="r1", settings=settings, http=http)
    files = {p: p.stat().st_mtime_ns for p in settings.data_dir.rglob("*") if p.is_file()}
    b = scb_unit.ingest_scb_table("median_earned_income_16plus_scb", mode="replay", base_urls=replay_urls,
                               run_id="r2", settings=settings, http=http)
    assert a["status"] == "loaded" and b["status"] == "unchanged" and a["batch_ids"] == b["batch_ids"]
    assert {p: p.stat().st_mtime_ns for p in settings.data_dir.rglob("*") if p.is_file()} == files


def _meta_v2(dims: dict[str, list[str]], elim: dict[str, bool] | None = None) -> dict:
    """SYNTHETIC v2 metadata (json-stat2) for the given dimensions."""
    cube = jsonstat_cube(dims)
    cube.pop("value")
    for d in dims:
        cube["dimension"][d]["extension"] = {"elimination": (elim or {}).get(d, False)}
    return cube


def _serve_cube_from_selection(limit: int | None = None, contents: tuple[str, ...] = ("X1",), over_limit=None):
    """SYNTHETIC SCB: answers every data POST with a cube built from its selection (`over_limit()` above limit)."""
    dims = {"Region": ["00", "01", "0114", "0180"], "Kon": ["1", "2", "TotSa"], "ContentsCode": list(contents),
            "Tid": [str(y) for y in range(2010, 2022)]}

    def handler(req):
        if req.path.endswith("/config"):
            return Reply(200, {"maxDataCells": 20, "maxCallsPerTimeWindow": 100, "timeWindow": 1})
        if req.path.endswith("/metadata"):
            return Reply(200, _meta_v2(dims, {"Kon": True}))
        body = req.json()
        sel = ({s["variableCode"]: s["valueCodes"] for s in body["selection"]} if "selection" in body
               else {q["code"]: q["selection"]["values"] for q in body["query"]})
        n = 1
        for v in sel.values():
            n *= len(v)
        if limit and n > limit:
            return over_limit()
        return Reply(200, jsonstat_cube(sel))

    return dims, handler


def test_query_over_cell_limit_is_split_by_time(settings, http):
    dims, handler = _serve_cube_from_selection()
    spec = ScbTable("v2", "TABX", "X1", {"Region": ["*"], "Kon": ["1", "2"]})
    meta = scb.parse_v2_metadata(_meta_v2(dims, {"Kon": True}), "TABX")
    sels = scb.resolve_selection(meta, spec)
    assert scb.cells(sels) == 4 * 2 * 1 * 12
    chunks = scb.split_selection(sels, 20, scb.split_order(meta, sels))
    assert all(scb.cells(c) <= 20 for c in chunks)
    tids = [t for c in chunks for t in next(s for s in c if s.code == "Tid").values]
    assert tids == dims["Tid"]  # every period exactly once
    # tight limit: time alone is not enough → region split too
    chunks = scb.split_selection(sels, 5, scb.split_order(meta, sels))
    assert all(scb.cells(c) <= 5 for c in chunks) and sum(scb.cells(c) for c in chunks) == 96


def test_unit_splits_and_fetches_every_chunk(settings, http, tmp_path):
    dims, handler = _serve_cube_from_selection()
    st = catalog_with(settings, tmp_path, [{
        "indicator_id": "synthetic_scb", "goal_id": "0", "subgoal_id": "0.0", "source": "scb",
        "source_ref": "SYNTHETIC", "unit": "count", "measure_type": "value_by_sex", "by_sex": "yes",
        "scb_api": "v2", "scb_table": "TABX", "scb_contents_code": "X1",
        "scb_selection": json.dumps({"Region": ["*"], "Kon": ["1", "2"]})}])
    with ScriptedServer(handler) as srv:
        urls = {"scb_v2": srv.url + "/api/v2", "scb_v1": srv.url + "/v1"}
        s = scb_unit.ingest_scb_table("synthetic_scb", mode="live", base_urls=urls, run_id="r", settings=st, http=http)
    posts = [r for r in srv.requests if r.method == "POST"]
    assert len(posts) == len(s["chunks"]) > 1  # maxDataCells=20 read from /config
    assert all(c["cells"] <= 20 for c in s["chunks"])
    assert s["rows"] == 96 and s["status"] == "loaded"
    assert "synthetic_scb" in scb_unit.plan_scb(st)


def test_several_contents_codes_land_one_series_each(settings, http, tmp_path):
    """A ratio's parts (numerator and denominator ContentsCodes of one table) are fetched in the same
    queries and land as separate series '<table>/<code>'; a code the table lacks fails the spec by name."""
    dims, handler = _serve_cube_from_selection(contents=("X1", "X2", "X3"))
    row = {"indicator_id": "synthetic_ratio", "goal_id": "0", "subgoal_id": "0.0", "source": "scb",
           "source_ref": "SYNTHETIC", "unit": "percent", "measure_type": "value_by_sex", "by_sex": "yes",
           "scb_api": "v2", "scb_table": "TABX", "scb_contents_code": "X1;X2",
           "scb_selection": json.dumps({"Region": ["0180"], "Kon": ["1", "2"]})}
    st = catalog_with(settings, tmp_path, [row])
    with ScriptedServer(handler) as srv:
        urls = {"scb_v2": srv.url + "/api/v2", "scb_v1": srv.url + "/v1"}
        s = scb_unit.ingest_scb_table("synthetic_ratio", mode="live", base_urls=urls, run_id="r", settings=st,
                                   http=http)
    posts = [r.json() for r in srv.requests if r.method == "POST"]
    assert {tuple(sel["valueCodes"]) for p in posts for sel in p["selection"]
            if sel["variableCode"] == "ContentsCode"} == {("X1", "X2")}
    frame = pd.concat(_frame(st, b) for b in s["batch_ids"])
    assert frame.groupby("source_ref").size().to_dict() == {"TABX/X1": 24, "TABX/X2": 24}
    manifest = json.loads((st.batches_dir / "scb" / f"{s['batch_ids'][0]}.json").read_text("utf-8"))
    assert manifest["source_refs"] == ["TABX/X1", "TABX/X2"]

    (tmp_path / "missing").mkdir()
    st2 = catalog_with(settings, tmp_path / "missing", [{**row, "scb_contents_code": "X1;X9"}])
    with ScriptedServer(handler) as srv, pytest.raises(scb.SelectionError, match=r"synthetic_ratio.*X9"):
        scb_unit.ingest_scb_table("synthetic_ratio", mode="live", base_urls={"scb_v2": srv.url + "/api/v2",
                               "scb_v1": srv.url + "/v1"}, run_id="r", settings=st2, http=http)


def _problem(status: int, title: str) -> Reply:
    """SYNTHETIC problem+json answer shaped like PxWebApi 2's (status, title)."""
    return Reply(status, {"type": "about:blank", "title": title, "status": status},
                 content_type="application/problem+json; charset=utf-8")


def _sizes(srv) -> list[int]:
    """Tid codes per request (v2 selection or v1 query)."""
    out = []
    for r in srv.requests:
        body = r.json()
        if "selection" in body:
            out.append(len(next(s for s in body["selection"] if s["variableCode"] == "Tid")["valueCodes"]))
        else:
            out.append(len(next(q for q in body["query"] if q["code"] == "Tid")["selection"]["values"]))
    return out


def test_v2_too_many_cells_400_splits_and_retries(http):
    """PxWebApi 2 says 'too many cells' with HTTP 400 problem+json (the reference server's BadRequest)."""
    dims, handler = _serve_cube_from_selection(limit=12, over_limit=lambda: _problem(400, "Too many cells selected"))
    meta = scb.parse_v2_metadata(_meta_v2(dims, {"Kon": True}), "TABX")
    sels = scb.resolve_selection(meta, ScbTable("v2", "TABX", "X1", {"Region": ["01"], "Kon": ["1", "2"]}))
    with ScriptedServer(handler) as srv:
        fetched = scb.fetch_chunk(scb.ScbV2Client(http, srv.url + "/api/v2"), "TABX", sels,
                                  scb.split_order(meta, sels))
    sizes = _sizes(srv)
    assert sizes[0] == 12 and len(fetched) >= 2 and sum(sizes[1:]) >= 12
    assert sum(len(scb.normalize_payload(f.json(), "TABX")[0]) for f in fetched) == 24


def test_v2_403_is_final_table_not_offered(http):
    """In v2, 403 means the table is not offered through the API: one request, no halving, a clear error."""
    with ScriptedServer([_problem(403, "Forbidden")]) as srv:
        sels = [scb.VarSel("Tid", tuple(str(y) for y in range(2000, 2024)), 24)]
        with pytest.raises(scb.TableNotOffered, match="not offered through the API"):
            scb.fetch_chunk(scb.ScbV2Client(http, srv.url + "/api/v2"), "TABX", sels, ["Tid"])
    assert len(srv.requests) == 1


def test_v1_403_splits_and_retries(http):
    """The v1 API uses 403 for the cell limit: halved until it fits."""
    dims, handler = _serve_cube_from_selection(limit=12, over_limit=lambda: Reply(403, ""))
    meta = scb.parse_v2_metadata(_meta_v2(dims, {"Kon": True}), "TABX")
    sels = scb.resolve_selection(meta, ScbTable("v2", "TABX", "X1", {"Region": ["01"], "Kon": ["1", "2"]}))
    with ScriptedServer(handler) as srv:
        fetched = scb.fetch_chunk(scb.ScbV1Client(http, srv.url + "/v1"), "X/X/X/TABX", sels,
                                  scb.split_order(meta, sels))
    assert _sizes(srv)[0] == 12 and len(fetched) >= 2
    assert sum(len(scb.normalize_payload(f.json(), "TABX")[0]) for f in fetched) == 24


def test_v2_400_that_is_not_the_cell_limit_is_not_split(http):
    with ScriptedServer([_problem(400, "Illegal selection expression")]) as srv:
        with pytest.raises(ClientError) as err:
            scb.fetch_chunk(scb.ScbV2Client(http, srv.url + "/api/v2"), "TABX",
                            [scb.VarSel("Tid", ("2020", "2021"), 2)], ["Tid"])
    assert len(srv.requests) == 1 and "Illegal selection" in str(err.value)


def test_withdrawn_v1_primary_falls_through_to_its_successor(settings, http, tmp_path):
    """A v1 primary SCB has withdrawn answers 400 (as AA0003X does): noted as not_available, the successor
    loads; when no table is available the spec fails naming each."""
    dims, data = _serve_cube_from_selection()

    def handler(req):
        if req.path.startswith("/v1/"):
            return Reply(400, "Bad Request", content_type="text/plain")  # SYNTHETIC withdrawn v1 table
        return data(req)

    row = {"indicator_id": "synthetic_withdrawn", "goal_id": "0", "subgoal_id": "0.0", "source": "scb",
           "source_ref": "SYNTHETIC", "unit": "count", "measure_type": "value_by_sex", "by_sex": "yes",
           "scb_api": "v1", "scb_table": "XX/XX0001/XX0001A/Gone", "scb_contents_code": "X1",
           "scb_selection": json.dumps({"Region": ["01"]}),
           "scb_successors": json.dumps([{"api": "v2", "table": "TABX", "contents_code": "X1",
                                          "selection": {"Region": ["01"]}, "evidence": "SYNTHETIC"}])}
    st = catalog_with(settings, tmp_path, [row])
    with ScriptedServer(handler) as srv:
        urls = {"scb_v2": srv.url + "/api/v2", "scb_v1": srv.url + "/v1"}
        s = scb_unit.ingest_scb_table("synthetic_withdrawn", mode="live", base_urls=urls, run_id="r", settings=st,
                                      http=http)
    statuses = {c["table"]: c["status"] for c in s["chunks"]}
    assert statuses["XX/XX0001/XX0001A/Gone"] == "not_available" and statuses["TABX"] == "loaded"
    assert s["status"] == "loaded" and "HTTP 400" in s["detail"]

    (tmp_path / "none").mkdir()
    st2 = catalog_with(settings, tmp_path / "none", [{**row, "scb_successors": ""}])
    with ScriptedServer(handler) as srv, pytest.raises(HttpError, match="none of its tables is available.*Gone"):
        scb_unit.ingest_scb_table("synthetic_withdrawn", mode="live", base_urls={
            "scb_v2": srv.url + "/api/v2", "scb_v1": srv.url + "/v1"}, run_id="r", settings=st2, http=http)


def test_until_lets_the_next_definition_win_from_its_first_period():
    """YREG58BAS (BAS) starts 2020: YREG58N is kept up to 2019 and the BAS table continues after it."""
    spec = scb_spec(find_indicator(load_catalog(), "women_share_managers_by_workplace_region"))
    assert {t.table_name: t.until for t in spec.tables if t.until} == {"TAB3119": "2019", "YREG58N": "2019"}
    meta = scb.parse_v2_metadata(_meta_v2({"Kon": ["1"], "ContentsCode": ["X1"], "Tid": ["2019", "2020", "2021"]}),
                                 "TABN")
    sels = scb.resolve_selection(meta, ScbTable("v2", "TABN", "X1", {"Kon": ["1"]}))
    kept = scb.restrict_time(sels, meta, "2018", "2019")
    assert next(s for s in kept if s.code == "Tid").values == ("2019",)
    assert scb.last_selected_period(kept, meta) == "2019"


def test_mandatory_variable_without_selection_is_an_error():
    meta = scb.parse_v2_metadata(_meta_v2({"Region": ["00"], "Alder": ["0-9"], "ContentsCode": ["X1"],
                                           "Tid": ["2020"]}, {"Region": True}), "TABX")
    with pytest.raises(scb.SelectionError, match="Alder.*cannot be eliminated"):
        scb.resolve_selection(meta, ScbTable("v2", "TABX", "X1", {}))
    sels = scb.resolve_selection(meta, ScbTable("v2", "TABX", "X1", {"Alder": ["*"]}))
    assert [s.code for s in sels] == ["Alder", "ContentsCode", "Tid"]  # Region eliminated, Tid all


def test_selection_expressions_against_real_metadata():
    doc = json.loads((REC / "v2_TAB6471_metadata.json").read_text("utf-8"))
    meta = scb.parse_v2_metadata(doc, "TAB6471")
    tid = meta.var("Tid").values
    assert scb.expand("top(4)", tid, "t") == ["2026M01", "2026M02", "2026M03", "2026M04"]
    assert scb.expand("from(2026M03)", tid, "t") == ["2026M03", "2026M04"]
    assert scb.expand("range(2025M11,2026M01)", tid, "t") == ["2025M11", "2025M12", "2026M01"]
    assert len(scb.expand("01*", meta.var("Region").values, "r")) == 27  # län 01 + its 26 kommuner
    with pytest.raises(scb.SelectionError, match="not in the table"):
        scb.expand("9999", meta.var("Region").values, "r")
    assert meta.last_period == "2026M04" and meta.var("Kon").elimination


def test_succession_restricts_successor_periods():
    meta = scb.parse_v2_metadata(_meta_v2({"Kon": ["1"], "ContentsCode": ["X1"], "Tid": ["2023", "2024", "2025"]}),
                                 "TABNEW")
    sels = scb.resolve_selection(meta, ScbTable("v2", "TABNEW", "X1", {"Kon": ["1"]}))
    after = scb.restrict_time(sels, meta, "2024")
    assert next(s for s in after if s.code == "Tid").values == ("2025",)


def test_catalog_spec_lists_successors():
    spec = scb_spec(find_indicator(load_catalog(), "population_by_sex_age"))
    assert [t.table for t in spec.tables] == ["TAB638", "BE/BE0101/BE0101A/BefolkningNy", "TAB5557", "TAB6471"]
    assert spec.tables[-1].granularity == "month" and spec.tables[-1].source_refs == ["TAB6471/000007SF"]


def test_bom_payload_decodes(http):
    doc = jsonstat_cube({"Kon": ["1", "2", "1+2"], "ContentsCode": ["X1"], "Tid": ["2020"]})
    body = b"\xef\xbb\xbf" + json.dumps(doc).encode()  # SYNTHETIC v1-style BOM
    with ScriptedServer([Reply(200, body)]) as srv:
        f = http.get(srv.url + "/v1/x")
    frame, _ = scb.normalize_payload(f.json(), "SYNTH")
    assert list(frame.sex) == ["M", "K", "T"] and list(frame.area_code) == ["00"] * 3


def test_status_symbols_become_null_with_status():
    doc = jsonstat_cube({"Region": ["0180", "0114"], "Kon": ["1", "2"], "ContentsCode": ["X1"], "Tid": ["2020"]})
    doc["value"][1] = None
    doc["value"][2] = None
    doc["status"] = {"1": "..", "2": "."}
    frame, _ = scb.normalize_payload(doc, "SYNTH")
    assert frame["value"].isna().tolist() == [False, True, True, False]
    assert frame["status"].tolist() == [None, "..", ".", None]


def test_unknown_sex_code_is_schema_drift():
    doc = jsonstat_cube({"Kon": ["3"], "ContentsCode": ["X1"], "Tid": ["2020"]})
    with pytest.raises(scb.SchemaDrift, match="unknown sex code"):
        scb.normalize_payload(doc, "SYNTH")


def test_v2_config_sets_pacing():
    cfg = json.loads((REC / "v2_config.json").read_text("utf-8"))
    limit, interval = scb.ScbV2Client(None, "http://x").limits(cfg)
    assert limit == 150000 and interval == pytest.approx(1 / 3)


# ------------------------------------------------------------------ codes resolved from value texts (labels)
def _he0110_meta():
    doc = json.loads((REC / "v1_HE0110_table_metadata_GET.json").read_text("utf-8-sig"))
    return scb.parse_v1_metadata(doc, "HE/HE0110/HE0110A/SamForvInk1")


def test_label_resolves_contents_and_values_against_real_metadata():
    """On the real HE0110 metadata: a ContentsCode and variable values chosen by their value texts resolve to
    the same codes the catalog names explicitly (case and spacing ignored)."""
    meta = _he0110_meta()
    by_label = ScbTable("v1", "HE/HE0110/HE0110A/SamForvInk1", "label:medianinkomst,  TKR",
                        {"Region": ["label:Stockholms län"], "Kon": ["label:kvinnor", "label:män"],
                         "Alder": ["label:20-64 år"]})
    sels = {s.code: s.values for s in scb.resolve_selection(meta, by_label)}
    assert sels["ContentsCode"] == ("HE0110J8",)
    assert sels["Region"] == ("01",) and sels["Kon"] == ("2", "1") and sels["Alder"] == ("20-64",)
    assert meta.var("Tid").labels[:2] == ["1999", "2000"]  # v1 valueTexts kept in code order
    v2 = scb.parse_v2_metadata(json.loads((REC / "v2_TAB6471_metadata.json").read_text("utf-8")), "TAB6471")
    assert v2.var("ContentsCode").labels == ["Folkmängden per månad"]


def test_label_that_matches_nothing_or_several_contents_fails_by_name():
    meta = _he0110_meta()
    with pytest.raises(scb.SelectionError, match=r"ContentsCode: no value text matches.*Medelinkomst, tkr"):
        scb.resolve_selection(meta, ScbTable("v1", "X/X/X/SamForvInk1", "label:Antal anställda", {"Alder": ["20-64"]}))
    with pytest.raises(scb.SelectionError, match=r"matches 2 ContentsCodes \['HE0110J7', 'HE0110J8'\]"):
        scb.resolve_selection(meta, ScbTable("v1", "X/X/X/SamForvInk1", "label:*inkomst, tkr", {"Alder": ["20-64"]}))
    with pytest.raises(scb.SelectionError, match=r"Region: no value text matches 'label:Atlantis'"):
        scb.resolve_selection(meta, ScbTable("v1", "X/X/X/SamForvInk1", "HE0110J8", {"Region": ["label:Atlantis"], "Alder": ["20-64"]}))


def test_label_spec_replays_the_real_recording_and_names_the_resolved_code(settings, replay_urls, http, tmp_path):
    """A spec that names its ContentsCode by label sends the same query as the explicit one (so the real
    recording answers it), lands the same rows under the resolved code, and says so in the manifest."""
    ind = find_indicator(load_catalog(settings.catalog_path), "median_earned_income_16plus_scb")

    v1 = scb_spec(ind).tables[1]

    def as_label(row):
        if row["indicator_id"] == ind.indicator_id:
            row.update(scb_api="v1", scb_table=v1.table, scb_selection=json.dumps(v1.selection),
                       scb_contents_code="label:Medianinkomst, tkr", scb_successors="")
    st = catalog_with(settings, tmp_path, edit=as_label)
    s = scb_unit.ingest_scb_table(ind.indicator_id, mode="replay", base_urls=replay_urls, run_id="r1", settings=st,
                               http=http)
    assert s["status"] == "loaded" and s["rows"] == 9
    manifest = json.loads((st.batches_dir / "scb" / f"{s['batch_ids'][0]}.json").read_text("utf-8"))
    assert manifest["source_refs"] == ["SamForvInk1/HE0110J8"]
    assert any("resolved from its label: HE0110J8" in n for n in manifest["notes"])
    assert set(_frame(st, s["batch_ids"][0]).source_ref) == {"SamForvInk1/HE0110J8"}


def test_regionutb_is_the_area_of_yh_tables():
    """SYNTHETIC cube shaped like UF0701 YHStudT1dN: the county where the education is given (RegionUtb) is
    the area code, not an extra dimension."""
    doc = jsonstat_cube({"Kon": ["1", "2"], "UtbildnInriktn": ["X"], "RegionUtb": ["01", "20"],
                         "ContentsCode": ["C1"], "Tid": ["2023"]})
    frame = scb.normalize_payload(doc, "YHStudT1dN")[0]
    assert sorted(frame.area_code.unique()) == ["01", "20"]
    assert set(frame.dims) == {'{"UtbildnInriktn":"X"}'}


def test_tab708_alternative_source_of_a_kolada_row_replays_by_mandate_period(settings, replay_urls, http):
    """women_share_elected_municipal is a Kolada row (N05814) with SCB TAB708 as alternative source: the SCB spec
    lands the women's share per kommun and mandate period; TAB708 codes kvinnor as Kon 030."""
    s = scb_unit.ingest_scb_table("women_share_elected_municipal", mode="replay", base_urls=replay_urls,
                                  run_id="t", settings=settings, http=http)
    assert s["status"] == "loaded" and s["rows"] == 290 * 5
    df = _frame(settings, s["batch_ids"][0])
    assert set(df.sex) == {"K"} and set(df.dims) == {'{"BakgrVar":"samald"}'}
    assert sorted(df.period.unique()) == ["2007-2010", "2011-2014", "2015-2018", "2019-2022", "2023-2026"]
    assert df.value.isna().sum() == 7 and set(df[df.value.isna()].status) == {".."}
    assert df[df.area_code.str.startswith("01")].area_code.nunique() == 26
