"""Kolada v3: replay of real recordings (happy path) and SYNTHETIC fault payloads."""
from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from ingest import kolada_kpi
from ingest.contract import OBSERVATION_COLUMNS
from ingest.http import ClientError, ReplayMiss, SchemaDrift
from ingest.replay.server import replay_server
from ingest.run_unit import run_unit
from ingest.sources import kolada as kol
from jamstat.settings import REPO_ROOT
from tests.ingest.conftest import catalog_with
from tests.ingest.synthetic import Reply, ScriptedServer
from tests.replay_variant import set_value, write_variant

REC = REPO_ROOT / "ingest" / "replay" / "recordings" / "kolada"


def _batch(settings, summary) -> pd.DataFrame:
    return pq.read_table(settings.batches_dir / "kolada" / f"{summary['batch_id']}.parquet").to_pandas()


def test_n21704_2023_replayed_golden_values(settings, replay_urls, http):
    s = kolada_kpi.ingest_kolada_kpi("N21704", mode="replay", base_urls=replay_urls, run_id="t1", settings=settings,
                                years=[2022, 2023], http=http)
    assert s["status"] == "loaded" and s["rows"] == 15
    assert s["years_fetched"] == [2022, 2023] and s["years_empty"] == [2022]
    df = _batch(settings, s)
    sto = df[(df.area_code == "0180") & (df.period == "2023")].set_index("sex")["value"]
    assert sto["K"] == pytest.approx(25.688929)
    assert sto["M"] == pytest.approx(15.778849)
    assert sto["T"] == pytest.approx(21.88749)
    assert list(df.columns) == list(OBSERVATION_COLUMNS)
    assert df.status.isna().all() and not df.is_deleted.any()
    manifest = json.loads((settings.batches_dir / "kolada" / f"{s['batch_id']}.json").read_text())
    assert manifest["mode"] == "replay" and manifest["source_refs"] == ["N21704"]
    # /kpi metadata + one data request for both years (answered from the per-year recording)
    assert [r["method"] for r in manifest["responses"]] == ["GET", "GET"] and s["requests"] == 2
    assert manifest["responses"][1]["url"].split("?")[0].endswith("/data/kpi/N21704/year/2022,2023")
    assert all((settings.data_dir / r["path"]).exists() for r in manifest["responses"])


def test_n00945_derived_per_year_payloads(settings, replay_urls, http):
    s = kolada_kpi.ingest_kolada_kpi("N00945", mode="replay", base_urls=replay_urls, run_id="t1", settings=settings,
                                years=list(range(2000, 2021)), http=http)
    assert s["status"] == "loaded" and s["rows"] == 63
    assert s["requests"] == 2  # metadata + one request for the 21 years (one per year before: 22)
    df = _batch(settings, s)
    assert set(df.sex) == {"T"}  # not divided by gender
    ref = pd.read_csv(REPO_ROOT / "ingest/reference/rKolada_n00945_vab_mans_andel_0180_1280_1480.csv", dtype=str)
    got = df.set_index(["area_code", "period"])["value"]
    for r in ref.itertuples():
        assert got[(r.municipality_id, r.year)] == pytest.approx(float(r.value))


def test_kpi_without_recordings_is_no_recorded_data(settings, replay_urls, http):
    s = kolada_kpi.ingest_kolada_kpi("N05816", mode="replay", base_urls=replay_urls, run_id="t1", settings=settings,
                                years=[2022, 2023], http=http)
    assert s["status"] == "no_recorded_data" and s["batch_id"] is None and "N05816" in s["detail"]
    assert not (settings.batches_dir / "kolada").exists() or not list((settings.batches_dir / "kolada").glob("*.parquet"))


def test_title_mismatch_fails_that_kpi_and_others_go_on(settings, replay_urls, http, tmp_path):
    def edit(row):  # the mislabel seen in third-party fixtures, put into a copy of the catalog
        if row["source_ref"] == "N21704":
            row["kolada_title"] = "Invånare totalt, antal"

    st = catalog_with(settings, tmp_path, edit=edit)
    results, errors = {}, {}
    for kpi in ("N21704", "N00945"):
        try:
            results[kpi] = kolada_kpi.ingest_kolada_kpi(kpi, mode="replay", base_urls=replay_urls, run_id="t",
                                                   settings=st, years=[2019, 2023], http=http)
        except kol.KpiTitleMismatch as exc:
            errors[kpi] = exc
    assert set(errors) == {"N21704"}
    msg = str(errors["N21704"])
    assert "N21704" in msg and "Invånare totalt, antal" in msg and "Invånare 80+ med hemtjänst" in msg
    assert results["N00945"]["status"] == "loaded"
    committed = [json.loads(p.read_text())["unit"] for p in (st.batches_dir / "kolada").glob("*.json")]
    assert committed == ["kolada:N00945"]


def test_normalize_keeps_deleted_status_and_null():
    # SYNTHETIC payload items (shape from the real v3 recording)
    values = [{"kpi": "N1", "period": 2020, "municipality": "0001", "values": [
        {"gender": "T", "count": 1, "status": "Missing", "value": None, "isdeleted": False},
        {"gender": "K", "count": 1, "status": "", "value": 3.5, "isdeleted": True},
        {"gender": "M", "count": 0, "status": "", "value": 0.0, "isdeleted": False}]}]
    df = kol.normalize(values)
    assert list(df.area_code) == ["0001"] * 3 and list(df.period) == ["2020"] * 3
    t, k, m = df.iloc[0], df.iloc[1], df.iloc[2]
    assert pd.isna(t.value) and t.status == "Missing"
    assert k.is_deleted and k.status is None and k.value == 3.5
    assert m.value == 0.0 and not m.is_deleted


def test_schema_drift_names_the_field():
    with pytest.raises(SchemaDrift) as err:
        kol.normalize([{"kpi": "N1", "period": 2020, "municipality": "0180",
                        "values": [{"sex": "T", "value": 1.0}]}], "http://x/data")
    assert "'gender'" in str(err.value) and "values[0].values[0]" in str(err.value)


def test_schema_drift_on_envelope(http):
    with ScriptedServer([Reply(200, {"data": []})]) as srv:
        client = kol.KoladaClient(http, srv.url + "/v3")
        with pytest.raises(SchemaDrift) as err:
            client.data_kpi_years("N1", [2020])
    assert "'values'" in str(err.value)


def test_years_go_25_to_a_request_and_a_404_segment_is_empty_years(settings, http):
    """The real N21704 2023 values answer the segment that holds 2023; the later segment answers 404 (Kolada's
    answer for periods without data): the KPI loads, and those years are empty, not a failure."""
    real = json.loads((REC / "v3_data_kpi_N21704_year_2023_trimmed.json").read_text("utf-8"))
    meta = json.loads((REC / "derived/v3_kpi_N21704.json").read_text("utf-8"))

    def handler(req):
        if req.path.startswith("/v3/kpi/"):
            return Reply(200, meta)
        years = req.path.rsplit("/", 1)[-1].split(",")
        if "2023" in years:
            return Reply(200, real)
        return Reply(404, {"error": "Not found"})  # SYNTHETIC stand-in for Kolada's 404 on an empty period

    years = list(range(2000, 2030))
    with ScriptedServer(handler) as srv:
        s = kolada_kpi.ingest_kolada_kpi("N21704", mode="live", base_urls={"kolada": srv.url + "/v3"}, run_id="r",
                                         settings=settings, years=years, http=http, incremental=False)
    segments = [r.path.rsplit("/", 1)[-1].split(",") for r in srv.requests if "/data/" in r.path]
    assert [len(seg) for seg in segments] == [25, 5]  # 30 years: two requests, not 30
    assert s["status"] == "loaded" and s["rows"] == 15 and s["requests"] == 2  # the 404 lands nothing
    assert s["years_empty"] == [y for y in years if y != 2023]


def test_404_that_is_not_a_data_path_still_fails(http):
    with ScriptedServer([Reply(404, {"error": "Not found"})]) as srv:
        client = kol.KoladaClient(http, srv.url + "/v3")
        with pytest.raises(ClientError):
            client.kpi_metadata(["N99999"])


def test_empty_values_is_no_data_not_error(http):
    with ScriptedServer([Reply(200, {"values": []})]) as srv:
        client = kol.KoladaClient(http, srv.url + "/v3")
        assert client.data_kpi_years("N99999", [2020]) == []


def test_paging_follows_next_url_on_same_host(http):
    real = json.loads((REC / "v3_data_kpi_N21704_year_2023_trimmed.json").read_text("utf-8"))["values"]

    def handler(req):  # SYNTHETIC paging: the real values split over 3 pages with next_url added
        page = int(req.query.get("page", "1"))
        chunk = real[(page - 1) * 2: page * 2]
        body = {"values": chunk}
        if page < 3:
            body["next_url"] = f"{srv.url}/v3/data/kpi/N21704/year/2023?page={page + 1}&per_page=2"
        else:
            body["next_url"] = None
        return Reply(200, body)

    with ScriptedServer(handler) as srv:
        client = kol.KoladaClient(http, srv.url + "/v3")
        values = client.data_kpi_years("N21704", [2023])
    assert [v["municipality"] for v in values] == [v["municipality"] for v in real]
    assert len(srv.requests) == 3
    assert srv.requests[0].query["per_page"] == "5000"


def test_paging_refuses_next_url_on_other_host(http):
    with ScriptedServer([Reply(200, {"values": [{"kpi": "N1"}], "next_url": "https://evil.example/v3/x?page=2"})]) as srv:
        client = kol.KoladaClient(http, srv.url + "/v3")
        with pytest.raises(kol.PagingError) as err:
            client.data_kpi_years("N1", [2020])
    assert "evil.example" in str(err.value) and len(srv.requests) == 1


def test_paging_is_bounded(http):
    def handler(req):
        return Reply(200, {"values": [{"x": 1}], "next_url": f"{srv.url}/v3/loop?page=2"})

    with ScriptedServer(handler) as srv:
        client = kol.KoladaClient(http, srv.url + "/v3", max_pages=4)
        with pytest.raises(kol.PagingError, match="more than 4 pages"):
            client.data_kpi_years("N1", [2020])
    assert len(srv.requests) == 4


def test_more_than_25_ids_are_chunked(http):
    ids = [f"N{i:05d}" for i in range(1, 61)]

    def handler(req):
        seg = req.path.rsplit("/", 1)[-1].split(",")
        if len(seg) > 25:
            return Reply(400, "too many ids")  # SYNTHETIC stand-in for v3's >25 error
        return Reply(200, {"values": [{"id": i, "title": f"t{i}"} for i in seg]})

    with ScriptedServer(handler) as srv:
        meta = kol.KoladaClient(http, srv.url + "/v3").kpi_metadata(ids)
    assert sorted(meta) == ids
    assert [len(r.path.rsplit("/", 1)[-1].split(",")) for r in srv.requests] == [25, 25, 10]


def test_municipality_year_chunking(http):
    areas = [f"{i:04d}" for i in range(100, 130)]  # 30 areas → 25 + 5

    def handler(req):
        return Reply(200, {"values": []})

    with ScriptedServer(handler) as srv:
        kol.KoladaClient(http, srv.url + "/v3").data_kpi_municipality_years("N1", areas, [2020, 2021])
    paths = [r.path for r in srv.requests]
    assert len(paths) == 2 and paths[0].endswith("/year/2020,2021")
    assert [len(p.split("/municipality/")[1].split("/")[0].split(",")) for p in paths] == [25, 5]


def test_replay_miss_raises(http, replay_url):
    client = kol.KoladaClient(http, replay_url + "/kolada/v3")
    with pytest.raises(ReplayMiss):
        client.data_kpi_years("N21704", [1999])


def test_incremental_uses_high_water_mark(settings, http):
    # SYNTHETIC live-mode run against a scripted server: the second run sends from_date
    meta = {"values": [{"id": "N00945", "title": "Tillfälliga föräldrapenningdagar (VAB) som tas ut av män, "
                        "andel av antal dagar (%)", "is_divided_by_gender": False}]}

    def handler(req):
        if req.path.startswith("/v3/kpi/"):
            return Reply(200, meta)
        return Reply(200, {"values": [{"kpi": "N00945", "period": 2020, "municipality": "0180",
                                       "values": [{"gender": "T", "value": 40.8, "status": "", "isdeleted": False}]}]})

    with ScriptedServer(handler) as srv:
        urls = {"kolada": srv.url + "/v3"}
        first = kolada_kpi.ingest_kolada_kpi("N00945", mode="live", base_urls=urls, run_id="r1", settings=settings,
                                        years=[2020], http=http)
        second = kolada_kpi.ingest_kolada_kpi("N00945", mode="live", base_urls=urls, run_id="r2", settings=settings,
                                         years=[2020], http=http)
    data_reqs = [r for r in srv.requests if "/data/" in r.path]
    assert "from_date" not in data_reqs[0].query and "from_date" in data_reqs[1].query
    assert first["status"] == "loaded" and second["status"] == "unchanged"


def test_unexpected_sex_is_a_note(settings, http):
    meta = {"values": [{"id": "N00945", "title": "Tillfälliga föräldrapenningdagar (VAB) som tas ut av män, "
                        "andel av antal dagar (%)", "is_divided_by_gender": False}]}

    def handler(req):  # SYNTHETIC: a K row for a KPI that is not divided by gender
        if req.path.startswith("/v3/kpi/"):
            return Reply(200, meta)
        return Reply(200, {"values": [{"kpi": "N00945", "period": 2020, "municipality": "0180",
                                       "values": [{"gender": "K", "value": 1.0, "status": ""}]}]})

    with ScriptedServer(handler) as srv:
        s = kolada_kpi.ingest_kolada_kpi("N00945", mode="live", base_urls={"kolada": srv.url + "/v3"}, run_id="r",
                                    settings=settings, years=[2020], http=http, incremental=False)
    assert s["status"] == "loaded" and any("['K']" in n for n in s["notes"])


@pytest.mark.parametrize("sent", ["12,5", "25.69", True, [25.69]], ids=["comma-string", "dot-string", "bool", "list"])
def test_value_of_the_wrong_type_is_schema_drift_naming_the_kpi(settings, tmp_path, sent):
    """A value sent as a string or a boolean fails the KPI (it used to become NULL or 1.0 without a word)."""
    manifest, root = write_variant(tmp_path, set_value("0180", "K", sent))  # SYNTHETIC drift of one value
    with replay_server(manifest=manifest, root=root) as url, pytest.raises(SchemaDrift) as err:
        run_unit("kolada", "N21704", mode="replay", run_id="r", settings=dataclasses.replace(settings, replay_url=url))
    assert "Kolada KPI N21704" in str(err.value) and "expected a number or null" in str(err.value)
    assert not (settings.batches_dir / "kolada").exists(), "nothing committed"
    assert not (settings.state_dir / "checks").exists(), "a failed unit is no source check"


def test_integer_values_are_numbers():
    df = kol.normalize([{"kpi": "N1", "period": 2023, "municipality": "0180",
                         "values": [{"gender": "T", "value": 40}, {"gender": "K", "value": None}]}])
    assert df.value.iloc[0] == 40.0 and df.value.isna().iloc[1]
