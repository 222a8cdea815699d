"""Raw landing and batch commit: content addressing, idempotence, no partial batches."""
from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pandas as pd
import pyarrow.parquet as pq
import pytest

from ingest import kolada_kpi, scb_spec
from ingest.batches import Unit, compute_batch_id, read_manifests
from ingest.contract import BATCH_MANIFEST_KEYS, OBSERVATION_COLUMNS
from ingest.http import PayloadError
from ingest.raw_store import land_raw
from ingest.replay.server import replay_server
from ingest.run_unit import run_unit
from tests.ingest.synthetic import Reply, ScriptedServer
from tests.replay_variant import write_variant

N00945_TITLE = "Tillfälliga föräldrapenningdagar (VAB) som tas ut av män, andel av antal dagar (%)"


def test_raw_is_content_addressed_and_never_rewritten(tmp_path):
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    sha, path = land_raw(tmp_path, "kolada", "data_N1", b'{"values": []}', now)
    assert path == tmp_path / "kolada" / "data_N1" / "2026-03-01" / f"{sha}.json"
    mtime = path.stat().st_mtime_ns
    sha2, path2 = land_raw(tmp_path, "kolada", "data_N1", b'{"values": []}', now)
    assert (sha2, path2) == (sha, path) and path.stat().st_mtime_ns == mtime
    assert not list(path.parent.glob("*.tmp"))


def test_batch_id_depends_on_unit_and_sorted_shas():
    assert compute_batch_id("u", ["b", "a"]) == compute_batch_id("u", ["a", "b"])
    assert compute_batch_id("u", ["a"]) != compute_batch_id("v", ["a"])


def test_replay_refetch_is_a_noop(settings, replay_urls, http):
    kw = dict(mode="replay", base_urls=replay_urls, settings=settings, years=[2023], http=http)
    first = kolada_kpi.ingest_kolada_kpi("N21704", run_id="r1", **kw)
    snapshot = {p: p.stat().st_mtime_ns for p in settings.data_dir.rglob("*") if p.is_file()}
    second = kolada_kpi.ingest_kolada_kpi("N21704", run_id="r2", **kw)
    assert first["status"] == "loaded" and second["status"] == "unchanged"
    assert first["batch_id"] == second["batch_id"] and second["rows"] == 15
    assert {p: p.stat().st_mtime_ns for p in settings.data_dir.rglob("*") if p.is_file()} == snapshot
    m = read_manifests(settings.batches_dir, "kolada")
    assert len(m) == 1 and tuple(m[0]) == BATCH_MANIFEST_KEYS and m[0]["run_id"] == "r1"
    table = pq.read_table(settings.batches_dir / "kolada" / f"{first['batch_id']}.parquet")
    assert table.schema.names == list(OBSERVATION_COLUMNS)
    assert str(table.schema.field("fetched_at").type) == "timestamp[us]"


def test_failing_unit_leaves_no_batch_but_completed_units_stay(settings, http):
    # SYNTHETIC: 2020 alone fine, 2020-2021 (one request) truncated JSON → the KPI fails, nothing committed
    def handler(req):
        if "/kpi/" in req.path and "/data/" not in req.path:
            return Reply(200, {"values": [{"id": "N00945", "title": N00945_TITLE, "is_divided_by_gender": False}]})
        if "2021" in req.path.rsplit("/", 1)[-1].split(","):
            return Reply(200, b'{"values": [{"kpi": "N00945", "period": 20')
        return Reply(200, {"values": [{"kpi": "N00945", "period": 2020, "municipality": "0180",
                                       "values": [{"gender": "T", "value": 40.8, "status": ""}]}]})

    with ScriptedServer(handler) as srv:
        urls = {"kolada": srv.url + "/v3"}
        ok = kolada_kpi.ingest_kolada_kpi("N00945", mode="live", base_urls=urls, run_id="r", settings=settings,
                                     years=[2020], http=http, incremental=False)
        with pytest.raises(PayloadError, match="not valid JSON"):
            kolada_kpi.ingest_kolada_kpi("N00945", mode="live", base_urls=urls, run_id="r", settings=settings,
                                    years=[2020, 2021], http=http, incremental=False)
    parquets = list((settings.batches_dir / "kolada").glob("*.parquet"))
    manifests = list((settings.batches_dir / "kolada").glob("*.json"))
    assert [p.stem for p in parquets] == [ok["batch_id"]] and len(manifests) == 1
    assert not list(settings.batches_dir.rglob("*.tmp"))


def test_commit_validates_contract(tmp_path):
    unit = Unit(tmp_path / "raw", tmp_path / "batches", "kolada", "kolada:N1", "replay", "r")
    bad = pd.DataFrame({"source": ["kolada"], "source_ref": ["N1"], "area_code": ["0180"], "period": ["2020"],
                        "sex": ["F"], "value": [1.0], "status": [None], "dims": ["{}"], "is_deleted": [False]})
    with pytest.raises(ValueError, match="sex must be one of"):
        unit.commit(bad)
    assert not (tmp_path / "batches").exists() or not list((tmp_path / "batches").rglob("*.parquet"))


def test_manifest_has_contract_keys(settings, replay_urls, http):
    s = scb_spec.ingest_scb_table("median_earned_income_16plus_scb", mode="replay", base_urls=replay_urls,
                               run_id="r", settings=settings, http=http)
    m = json.loads((settings.batches_dir / "scb" / f"{s['batch_ids'][0]}.json").read_text())
    assert tuple(m) == BATCH_MANIFEST_KEYS
    for r in m["responses"]:
        assert set(r) == {"url", "method", "request_body", "status", "sha256", "path", "content_type", "fetched_at"}


def _malformed_period(doc: dict) -> None:
    doc["values"][0]["period"] = "20x3"  # SYNTHETIC


def _conflicting_duplicate(doc: dict) -> None:
    twin = json.loads(json.dumps(doc["values"][0]))  # SYNTHETIC: the same key sent twice, once with another value
    twin["values"][0]["value"] = 99.0
    doc["values"].append(twin)


@pytest.mark.parametrize("edit, message", [
    (_malformed_period, r"Kolada KPI N21704: .*period\(s\) \['20x3'\] are not a year"),
    (_conflicting_duplicate, r"Kolada KPI N21704: .*N21704 area 0180 period 2023 sex T dims \{\}: \['21.88749', '99.0'\]"),
], ids=["period-20x3", "conflicting-duplicate"])
def test_unreadable_rows_fail_the_unit_at_ingest(settings, tmp_path, edit, message):
    """A period like 20x3 used to pass ingest and break every later dbt build; a key sent twice with two values
    was resolved silently. Both now fail the KPI, and nothing is committed."""
    manifest, root = write_variant(tmp_path, edit)
    with replay_server(manifest=manifest, root=root) as url, pytest.raises(RuntimeError, match=message):
        run_unit("kolada", "N21704", mode="replay", run_id="r", settings=dataclasses.replace(settings, replay_url=url))
    assert not (settings.batches_dir / "kolada").exists()
