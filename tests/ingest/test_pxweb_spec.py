"""Requests and replies checked against the official PxWebApi 2.0 spec (tests/ingest/pxweb_spec.py): every
v2 request the SCB client sends for the catalog's specs, every v2 table's data request and its split chunks,
and every recorded v2 reply the replay server serves. A request that does not fit fails here, not live."""
from __future__ import annotations

import json

import pytest
import requests

from ingest import scb_spec as scb_unit
from ingest.catalog import load_catalog, scb_specs
from ingest.replay.server import Recordings
from ingest.sources import scb
from tests.ingest import pxweb_spec
from tests.ingest.synthetic import Reply, ScriptedServer

RECORDINGS = Recordings()
V2_REPLIES = [e for e in RECORDINGS.entries if e["path"].startswith("/scb/v2/")]
SPECS = scb_specs(load_catalog())
V2_SPECS = [s for s in SPECS if any(t.api == "v2" for t in s.tables)]
DATA_QUERY = {"lang": "sv", "outputFormat": "json-stat2"}


def _v2_path(path: str) -> str:
    # '/tables/' and '/tables' are the same listing endpoint (the recorded self link ends in a slash)
    return path[len("/scb/v2"):].rstrip("/") or "/"


@pytest.mark.parametrize("entry", V2_REPLIES, ids=lambda e: e["id"][:70])
def test_every_recorded_v2_reply_fits_the_spec(entry):
    body = json.loads(RECORDINGS.body_of(entry))
    path = _v2_path(entry["path"])
    query = {**entry.get("query", {}), "lang": "sv"}
    assert pxweb_spec.response_errors(path, body, query) == []
    if entry["method"] == "POST":  # the recorded request, rebuilt from its declared selection
        sel = [{"variableCode": v, "valueCodes": list(w["valueCodes"]), **({"codelist": w["codelist"]}
                if w.get("codelist") else {})} for v, w in entry["body"]["selection"].items()]
        assert pxweb_spec.request_errors("POST", path, query, {"selection": sel}) == []


@pytest.fixture
def capture(replay_url):
    """A proxy in front of the replay server that keeps every request the client sends (hits and misses)."""
    def forward(req):
        r = requests.request(req.method, replay_url + req.path, params=req.query, data=req.body or None,
                             headers={"Content-Type": "application/json"} if req.body else {}, timeout=10)
        keep = {k: v for k, v in r.headers.items() if k.startswith("X-Jamstat")}
        return Reply(r.status_code, r.content, headers=keep, content_type=r.headers.get("Content-Type", ""))

    with ScriptedServer(forward) as srv:
        yield srv


def test_every_request_the_client_sends_fits_the_spec(settings, http, capture):
    """All catalog specs with a v2 table run against the recordings through the proxy: each v2 request on
    the wire (config, metadata, codelists, data) is valid, and all four kinds occur."""
    urls = {"scb_v2": capture.url + "/scb/v2", "scb_v1": capture.url + "/scb/v1"}
    for spec in V2_SPECS:
        scb_unit.ingest_scb_table(spec.spec_id, mode="replay", base_urls=urls, run_id="spec", settings=settings,
                                  http=http)
    sent = [r for r in capture.requests if r.path.startswith("/scb/v2/")]
    kinds = {(r.method, r.path.split("/")[3]) for r in sent}
    assert {("GET", "config"), ("GET", "codelists"), ("GET", "tables"), ("POST", "tables")} <= kinds
    for r in sent:
        errors = pxweb_spec.request_errors(r.method, _v2_path(r.path), r.query, r.json() if r.body else None)
        assert errors == [], f"{r.method} {r.path}: {errors}"


def _recorded_meta(table: str) -> scb.TableMeta | None:
    entry = RECORDINGS.match("GET", f"/scb/v2/tables/{table}/metadata", {}, b"")
    return scb.parse_v2_metadata(json.loads(RECORDINGS.body_of(entry)), table) if entry else None


def _unresolved(t) -> list[scb.VarSel]:
    """The selection as written in the catalog (PxWebApi 2 accepts value expressions such as '*', '0?',
    'top(4)'); a 'label:' code is resolved only against live metadata (preflight checks it), so '*' stands in."""
    out = []
    for var, entry in t.selection.items():
        if isinstance(entry, dict):
            codes = entry.get("valueCodes") or entry.get("values") or []
            out.append(scb.VarSel(var, tuple(codes), 1, explicit=False, codelist=entry.get("codelist")))
        else:
            codes = [entry] if isinstance(entry, str) else entry
            out.append(scb.VarSel(var, tuple("*" if c.startswith(scb.LABEL_PREFIX) else c for c in codes), 1))
    contents = tuple("*" if c.startswith(scb.LABEL_PREFIX) else c for c in t.contents_codes)
    return out + [scb.VarSel(scb.CONTENTS, contents, len(contents))]


V2_TABLES = [(s.spec_id, t) for s in SPECS for t in s.tables if t.api == "v2"]


@pytest.mark.parametrize(("spec_id", "table"), V2_TABLES, ids=lambda x: x if isinstance(x, str) else x.table)
def test_every_v2_table_in_the_catalog_builds_valid_requests(spec_id, table):
    """Every v2 table of every spec: the data request as resolved against recorded metadata and split into
    small chunks (every chunk checked), or, without a recording, as written in the catalog; and its
    metadata request."""
    path = f"/tables/{table.table}/data"
    assert pxweb_spec.request_errors("GET", f"/tables/{table.table}/metadata", {"lang": "sv"}) == []
    meta = _recorded_meta(table.table)
    if meta is None:
        bodies = [scb.v2_body(_unresolved(table))]
    else:
        sels = scb.resolve_selection(meta, table)
        bodies = [scb.v2_body(c) for c in scb.split_selection(sels, 2000, scb.split_order(meta, sels))]
        assert len(bodies) > 1 or scb.cells(sels) <= 2000
    for body in bodies:
        assert pxweb_spec.request_errors("POST", path, DATA_QUERY, body) == [], f"{spec_id} {table.table}"


def test_the_validator_rejects_what_the_spec_forbids():
    """Not vacuous: wrong shapes and parameters fail."""
    path = "/tables/TAB638/data"
    good = {"selection": [{"variableCode": "Kon", "valueCodes": ["1", "2"]}]}
    assert pxweb_spec.request_errors("POST", path, DATA_QUERY, good) == []
    assert pxweb_spec.request_errors("POST", path, DATA_QUERY, {"query": []})
    assert pxweb_spec.request_errors("POST", path, DATA_QUERY, {"selection": [{"variableCode": "Kon",
                                                                                 "valueCodes": "1"}]})
    assert pxweb_spec.request_errors("POST", path, {"lang": "sv", "outputFormat": "json-stat"}, good)
    assert pxweb_spec.response_errors("/config", {"maxDataCells": 150000})


def test_each_live_deviation_is_needed():
    """The unpatched spec rejects a request shape SCB answers (valueCodes) and SCB's real 'updated' stamps."""
    good = {"selection": [{"variableCode": "Kon", "valueCodes": ["1", "2"]}]}
    assert pxweb_spec.request_errors("POST", "/tables/TAB638/data", DATA_QUERY, good, live=False)
    meta = json.loads(RECORDINGS.body_of(RECORDINGS.match("GET", "/scb/v2/tables/TAB5557/metadata", {}, b"")))
    assert any("updated" in e for e in pxweb_spec.response_errors("/tables/TAB5557/metadata", meta,
                                                                  {"lang": "sv"}, live=False))
    listing = next(e for e in V2_REPLIES if e["path"] == "/scb/v2/tables/")
    assert pxweb_spec.response_errors("/tables", json.loads(RECORDINGS.body_of(listing)),
                                      {**listing["query"], "lang": "sv"}, live=False)
