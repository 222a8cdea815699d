"""Replay server: matching rules, misses, provenance of derived recordings, standalone process."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import requests

from ingest.replay.server import MANIFEST, RECORDINGS
from jamstat.settings import REPO_ROOT
from tools.processes import listening_sockets

REC = RECORDINGS


def test_miss_is_404_with_header_and_named_request(replay_url):
    r = requests.get(replay_url + "/kolada/v3/data/kpi/N99999/year/2020", params={"per_page": 5000}, timeout=5)
    assert r.status_code == 404 and r.headers["X-Jamstat-Replay"] == "miss"
    body = r.json()
    assert body["method"] == "GET" and body["path"] == "/kolada/v3/data/kpi/N99999/year/2020"
    assert body["query"] == {"per_page": "5000"} and "manifest.json" in body["hint"]


def test_hit_serves_recorded_bytes_ignoring_per_page(replay_url):
    r = requests.get(replay_url + "/kolada/v3/data/kpi/N21704/year/2023", params={"per_page": 5000}, timeout=5)
    assert r.status_code == 200 and r.headers["X-Jamstat-Replay"] == "hit"
    assert r.content == (REC / "kolada/v3_data_kpi_N21704_year_2023_trimmed.json").read_bytes()
    assert r.headers["X-Jamstat-Provenance"] == "real"


def test_several_years_compose_from_per_year_recordings(replay_url):
    url = replay_url + "/kolada/v3/data/kpi/N00945/year/2019,2020,2021"
    r = requests.get(url, params={"per_page": 5000}, timeout=5)
    assert r.status_code == 200 and r.headers["X-Jamstat-Replay"] == "composed"
    assert r.headers["X-Jamstat-Provenance"] == "derived"
    per_year = [json.loads((REC / f"kolada/derived/v3_data_kpi_N00945_year_{y}.json").read_text("utf-8"))["values"]
                for y in (2019, 2020)]
    assert r.json()["values"] == per_year[0] + per_year[1]  # 2021 is not recorded: it adds nothing
    assert requests.get(replay_url + "/kolada/v3/data/kpi/N00945/year/2030,2031", timeout=5).status_code == 404


def test_a_composed_request_fails_with_a_part_recorded_as_a_server_error(tmp_path):
    """SYNTHETIC fault: one year of N00945 recorded as HTTP 500 fails the whole multi-year request (the real API
    answers one request with one status); a part recorded as 404 (a year without data) adds nothing."""
    from ingest.replay.server import replay_server

    manifest = json.loads(MANIFEST.read_text("utf-8"))
    for entry in manifest["entries"]:
        if entry["path"] == "/kolada/v3/data/kpi/N00945/year/2019":
            entry["status"] = 500
        if entry["path"] == "/kolada/v3/data/kpi/N00945/year/2020":
            entry["status"] = 404
    broken = tmp_path / "manifest.json"
    broken.write_text(json.dumps(manifest), "utf-8")
    with replay_server(manifest=broken, root=REC) as url:
        both = requests.get(url + "/kolada/v3/data/kpi/N00945/year/2019,2020", timeout=5)
        no_data = requests.get(url + "/kolada/v3/data/kpi/N00945/year/2020,2030", timeout=5)
    assert both.status_code == 500 and both.headers["X-Jamstat-Replay"] == "composed"
    assert no_data.status_code == 404 and no_data.headers["X-Jamstat-Replay"] == "miss"


def test_wrapped_recording_serves_its_response_member_and_subset_selection(replay_url):
    """atlas290's wrapper holds the request's selection and SCB's response: the response is served; a query
    for more areas than recorded is answered with the recorded cells (flagged subset); a query missing a
    recorded code is a miss."""
    wrapper = json.loads((REC / "scb_v2_atlas290/TAB4394/56502957d1303f62.json").read_text("utf-8"))
    meta = requests.get(replay_url + "/scb/v2/tables/TAB4394/metadata", params={"lang": "sv"}, timeout=5)
    assert meta.status_code == 200 and meta.json()["extension"]["px"]["tableid"] == "TAB4394"
    sel = [{"variableCode": v, "valueCodes": list(c)} for v, c in wrapper["selection"].items()]
    sel[0]["valueCodes"] = ["00", "01", *sel[0]["valueCodes"]]  # Region: riket and a län on top
    url, params = replay_url + "/scb/v2/tables/TAB4394/data", {"lang": "sv", "outputFormat": "json-stat2"}
    r = requests.post(url, params=params, json={"selection": sel}, timeout=5)
    assert r.status_code == 200 and r.headers["X-Jamstat-Replay"] == "subset"
    assert r.json() == wrapper["response"]
    sel[0]["valueCodes"] = ["00", "01"]
    assert requests.post(url, params=params, json={"selection": sel}, timeout=5).status_code == 404


def test_undeclared_query_param_is_a_miss(replay_url):
    r = requests.get(replay_url + "/kolada/v3/data/kpi/N21704/year/2023",
                     params={"from_date": "2024-01-01"}, timeout=5)
    assert r.status_code == 404


def test_v1_post_matches_exact_body_only(replay_url):
    url = replay_url + "/scb/v1/START/HE/HE0110/HE0110A/SamForvInk1"
    query = json.loads((REC / "scb/v1_HE0110_medianinkomst_riket_kon_query.json").read_text("utf-8"))
    assert requests.post(url, json=query, timeout=5).status_code == 200
    query["query"][1]["selection"]["values"] = ["1", "2"]
    assert requests.post(url, json=query, timeout=5).status_code == 404


def test_v2_post_matches_declared_selection_in_any_order(replay_url):
    url = replay_url + "/scb/v2/tables/TAB6471/data"
    doc = json.loads((REC / "scb/v2_TAB6471_data_folkmangd_manad_lan_kon.json").read_text("utf-8"))
    cats = {d: list(v["category"]["index"]) for d, v in doc["dimension"].items()}
    sel = [{"variableCode": "Tid", "valueCodes": cats["Tid"][::-1]},
           {"variableCode": "Kon", "valueCodes": cats["Kon"]},
           {"variableCode": "Region", "valueCodes": ["*"], "codelist": "vs_CKM02Län"},
           {"variableCode": "Alder", "valueCodes": cats["Alder"]},
           {"variableCode": "ContentsCode", "valueCodes": ["000007SF"]}]
    params = {"lang": "sv", "outputFormat": "json-stat2"}
    assert requests.post(url, params=params, json={"selection": sel}, timeout=5).status_code == 200
    sel[0]["valueCodes"] = ["2026M01"]
    assert requests.post(url, params=params, json={"selection": sel}, timeout=5).status_code == 404


def test_manifest_files_exist_and_derived_are_labelled():
    doc = json.loads(MANIFEST.read_text("utf-8"))
    kinds = {"real": 0, "derived": 0}
    for e in doc["entries"]:
        assert (REC / e["file"]).exists(), e["file"]
        sidecar = (REC / e["source"]).read_text("utf-8")
        kinds[e["provenance"]] += 1
        if e["provenance"] == "derived":
            assert sidecar.startswith("DERIVED")
        else:
            assert "DERIVED" not in sidecar.split("\n")[0]
    assert kinds["real"] == 9 + 8 and kinds["derived"] >= 62 + 1 + 21  # + atlas290: 4 metadata, 4 data


def test_derived_municipality_list_is_complete(replay_url):
    values = requests.get(replay_url + "/kolada/v3/municipality", timeout=5).json()["values"]
    assert len(values) == 312 and sum(v["type"] == "K" for v in values) == 290
    assert {"id": "0001", "title": "Region Stockholm", "type": "L"} in values


def test_real_recordings_untouched():
    out = subprocess.run(["git", "status", "--porcelain", "--", "ingest/replay/recordings/kolada/v3_data_kpi_N21704_year_2023_trimmed.json",
                          "ingest/replay/recordings/scb", "ingest/replay/recordings/scb_v2_atlas290"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == ""


def test_standalone_replay_process_stops_on_sigterm():
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "jamstat", "replay", "--port", "0"], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = line.split("listening on ")[1].split()[0]
        assert requests.get(url + "/scb/v2/config", timeout=5).json()["maxDataCells"] == 150000
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_payloads_are_traced_to_the_batches_that_landed_them(settings, replay_urls, http):
    """A recording served through composition (N00945 years), a wrapped atlas290 recording (TAB708) and a
    bundled export dropped into the landing folder are each found in the batch that landed it; exports the
    catalog does not place carry their reason; nothing is counted without a warehouse."""
    from ingest import file_drop, kolada_kpi, scb_spec
    from ingest.payloads import trace_payloads
    from tools.replay_exports import drop_bundled_exports

    k = kolada_kpi.ingest_kolada_kpi("N00945", mode="replay", base_urls=replay_urls, run_id="t", settings=settings,
                                     years=[2019, 2020], http=http)
    s = scb_spec.ingest_scb_table("women_share_elected_municipal", mode="replay", base_urls=replay_urls,
                                  run_id="t", settings=settings, http=http)
    drop_bundled_exports(file_drop.landing_dir(settings))
    f = file_drop.ingest_file_drop("eftergym.mapping.yaml", mode="replay", run_id="t", settings=settings)
    traces = {t.name: t for t in trace_payloads(settings.batches_dir, None)}
    assert traces["kolada/derived/v3_data_kpi_N00945_year_2019.json"].batches == {k["batch_id"]}
    assert traces["kolada/derived/v3_data_kpi_N00945_year_2020.json"].batches == {k["batch_id"]}
    assert traces["scb_v2_atlas290/TAB708/889b2aa761987dcf.json"].batches == set(s["batch_ids"])
    assert traces["region-dalarna/eftergym.csv"].batches == {f["batch_id"]}
    assert traces["scb_v2_atlas290/TAB638/6b027e59b71df045.json"].batches == set()
    assert "trust" in traces["region-dalarna/tillit.csv"].reason
    assert all(t.fact_rows is None for t in traces.values())


@pytest.mark.parametrize("bind, expected", [(None, "127.0.0.1"), ("0.0.0.0", "0.0.0.0")])
def test_standalone_replay_server_listens_on_loopback_unless_configured(bind, expected):
    """`jamstat replay` binds 127.0.0.1; JAMSTAT_BIND, the one documented setting, opens it up."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("JAMSTAT_BIND", None)
    if bind:
        env["JAMSTAT_BIND"] = bind
    proc = subprocess.Popen([sys.executable, "-m", "jamstat", "replay", "--port", "0"], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().split("listening on ")[1].split()[0].rsplit(":", 1)[1])
        assert listening_sockets([proc.pid]) == [(proc.pid, expected, port)]
    finally:
        proc.kill()
        proc.wait(timeout=10)
