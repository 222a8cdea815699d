"""Build a candidate DuckDB with raw.observations / raw.batches from REAL recorded payloads (never invented).

Sources (all in the repo, each with a .source.txt sidecar):
* Kolada v3 /data/kpi/N21704/year/2023 (5 kommuner, K/M/T)       ingest/replay/recordings/kolada/
* Kolada N00945 T values 2000-2020 for 0180/1280/1480 (rKolada)     ingest/reference/
* SCB v2 TAB6471 json-stat2 (21 län x 11 age classes x sex x 4 months) ingest/replay/recordings/scb/

Only the provenance columns (batch_id, fetched_at, run_id) are fixture-made; values are copied.
"""
from __future__ import annotations

import csv
import hashlib
import itertools
import json
from datetime import datetime
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]
KOLADA_N21704 = REPO / "ingest/replay/recordings/kolada/v3_data_kpi_N21704_year_2023_trimmed.json"
KOLADA_N00945 = REPO / "ingest/reference/rKolada_n00945_vab_mans_andel_0180_1280_1480.csv"
SCB_TAB6471 = REPO / "ingest/replay/recordings/scb/v2_TAB6471_data_folkmangd_manad_lan_kon.json"

# ingest/contract.OBSERVATION_COLUMNS, repeated here so this fixture does not import ingest code
OBS_DDL = """
create table raw.observations (
    source varchar, source_ref varchar, area_code varchar, period varchar, sex varchar, value double,
    status varchar, dims varchar, is_deleted boolean, batch_id varchar, fetched_at timestamp
)"""
BATCH_DDL = """
create table raw.batches (
    batch_id varchar, source varchar, unit varchar, source_refs varchar, mode varchar, run_id varchar,
    fetched_at timestamp, row_count bigint, responses varchar, notes varchar
)"""

SCB_SEX = {"TotSa": "T", "1": "M", "2": "K", "1+2": "T"}


def _batch_id(unit: str, path: Path) -> str:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashlib.sha256(f"{unit}|{sha}".encode()).hexdigest()


def kolada_n21704_rows(batch_id: str, fetched_at: datetime) -> list[tuple]:
    doc = json.loads(KOLADA_N21704.read_text(encoding="utf-8"))
    rows = []
    for entry in doc["values"]:
        for v in entry["values"]:
            rows.append((
                "kolada", entry["kpi"], entry["municipality"], str(entry["period"]), v["gender"], v["value"],
                v["status"] or None, "{}", bool(v["isdeleted"]), batch_id, fetched_at,
            ))
    return rows


def kolada_n00945_rows(batch_id: str, fetched_at: datetime) -> list[tuple]:
    rows = []
    with KOLADA_N00945.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            rows.append((
                "kolada", r["kpi"], r["municipality_id"], r["year"], r["gender"],
                float(r["value"]) if r["value"] not in ("", "NA") else None,
                r["status"] or None, "{}", False, batch_id, fetched_at,
            ))
    return rows


def scb_tab6471_rows(batch_id: str, fetched_at: datetime) -> tuple[list[tuple], list[str]]:
    """Decode json-stat2: values are row-major over `id` with sizes `size`."""
    doc = json.loads(SCB_TAB6471.read_text(encoding="utf-8"))
    dims = doc["id"]
    cats = []
    for d in dims:
        index = doc["dimension"][d]["category"]["index"]
        codes = sorted(index, key=index.get) if isinstance(index, dict) else list(index)
        cats.append(codes)
    status = doc.get("status") or {}
    rows = []
    for flat, combo in enumerate(itertools.product(*cats)):
        c = dict(zip(dims, combo))
        extra = {k: v for k, v in c.items() if k not in ("Region", "Kon", "ContentsCode", "Tid")}
        st = status.get(str(flat)) if isinstance(status, dict) else (status[flat] if status else None)
        rows.append((
            "scb", f"TAB6471/{c['ContentsCode']}", c["Region"], c["Tid"], SCB_SEX[c["Kon"]], doc["value"][flat],
            st, json.dumps(extra, sort_keys=True, ensure_ascii=False, separators=(",", ":")), False, batch_id, fetched_at,
        ))
    return rows, list(doc.get("note", []))


def build_candidate(path: Path) -> dict:
    """Create the candidate file at `path`; returns a small summary for assertions."""
    fetched = datetime(2026, 6, 10, 8, 0, 0)
    batches = [
        ("kolada", "kolada:N21704:2023", ["N21704"], KOLADA_N21704, kolada_n21704_rows),
        ("kolada", "kolada:N00945", ["N00945"], KOLADA_N00945, kolada_n00945_rows),
    ]
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists raw")
        con.execute(OBS_DDL)
        con.execute(BATCH_DDL)
        summary = {}
        for source, unit, refs, payload, fn in batches:
            bid = _batch_id(unit, payload)
            rows = fn(bid, fetched)
            con.executemany("insert into raw.observations values (?,?,?,?,?,?,?,?,?,?,?)", rows)
            con.execute(
                "insert into raw.batches values (?,?,?,?,?,?,?,?,?,?)",
                [bid, source, unit, json.dumps(refs), "replay", "pytest", fetched, len(rows),
                 json.dumps([{"path": str(payload.relative_to(REPO))}]), "[]"],
            )
            summary[unit] = len(rows)
        bid = _batch_id("scb:TAB6471", SCB_TAB6471)
        rows, notes = scb_tab6471_rows(bid, fetched)
        con.executemany("insert into raw.observations values (?,?,?,?,?,?,?,?,?,?,?)", rows)
        con.execute(
            "insert into raw.batches values (?,?,?,?,?,?,?,?,?,?)",
            [bid, "scb", "scb:TAB6471", json.dumps(["TAB6471/000007SF"]), "replay", "pytest", fetched, len(rows),
             json.dumps([{"path": str(SCB_TAB6471.relative_to(REPO))}]), json.dumps(notes, ensure_ascii=False)],
        )
        summary["scb:TAB6471"] = len(rows)
    finally:
        con.close()
    return summary


if __name__ == "__main__":  # manual use: python tests/dbt/candidate_fixture.py /tmp/x.duckdb
    import sys

    print(build_candidate(Path(sys.argv[1])))
