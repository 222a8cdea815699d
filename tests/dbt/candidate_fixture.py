"""Build a candidate DuckDB with raw.observations / raw.batches from REAL recorded payloads (never invented).

Sources (all in the repo, each with a .source.txt sidecar):
* Kolada v3 /data/kpi/N21704/year/2023 (5 kommuner, K/M/T)       ingest/replay/recordings/kolada/
* Kolada N00945 T values 2000-2020 for 0180/1280/1480 (rKolada)     ingest/reference/
* SCB v2 TAB6471 json-stat2 (21 län x 11 age classes x sex x 4 months) ingest/replay/recordings/scb/
* Region Dalarna's export of Kolada N01982 for Region Dalarna (eftergym.csv), as a dropped file feeding
  tertiary_education_25_64, and the N21704 recording again as a dropped file feeding home_care_80plus_share
  (the same key from an API and a file)                               ingest/replay/landing/region-dalarna/
* SCB v2 TAB4394 life expectancy, Kon=2 and Kon=1 (290 kommuner x 24 five-year windows), one batch per catalog
  spec that fetches it (life_expectancy_women / _men)                 ingest/replay/recordings/scb_v2_atlas290/

Only the provenance columns (batch_id, fetched_at, run_id) are fixture-made; values are copied. The payloads go
through the project's own normalisers and table contract, exactly as ingest lands them.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
from datetime import datetime
from pathlib import Path

import duckdb

from ingest.contract import OBSERVATION_COLUMNS
from ingest.sources import kolada, scb
from jamstat.settings import Settings
from jamstat.transform.candidate import BATCH_COLUMNS

REPO = Path(__file__).resolve().parents[2]
KOLADA_N21704 = REPO / "ingest/replay/recordings/kolada/v3_data_kpi_N21704_year_2023_trimmed.json"
KOLADA_N00945 = REPO / "ingest/reference/rKolada_n00945_vab_mans_andel_0180_1280_1480.csv"
SCB_TAB6471 = REPO / "ingest/replay/recordings/scb/v2_TAB6471_data_folkmangd_manad_lan_kon.json"
ATLAS = REPO / "ingest/replay/recordings/scb_v2_atlas290"
DALARNA_EFTERGYM = REPO / "ingest/replay/landing/region-dalarna/eftergym.csv"
# (batch unit as ingest writes it: scb:<catalog spec>:<table>:<chunk>, the recording)
SCB_BATCHES = [
    ("scb:population_by_sex_age:TAB6471:fixture", SCB_TAB6471, None),
    ("scb:life_expectancy_women:TAB4394:fixture", ATLAS / "TAB4394/56502957d1303f62.json", "response"),
    ("scb:life_expectancy_men:TAB4394:fixture", ATLAS / "TAB4394/981f7bdcad0566bb.json", "response"),
]

OBS_DDL = "create table raw.observations (" + ", ".join(f"{c} {t}" for c, t in OBSERVATION_COLUMNS.items()) + ")"
BATCH_DDL = "create table raw.batches (" + ", ".join(f"{c} {t}" for c, t in BATCH_COLUMNS.items()) + ")"
# The manifest's columns; the batch-log ones (check_unit … state_reason) stay null, which dbt reads as a
# current batch last observed when fetched.
INSERT_BATCH = ("insert into raw.batches (batch_id, source, unit, source_refs, mode, run_id, fetched_at, row_count, "
                "responses, notes) values (?,?,?,?,?,?,?,?,?,?)")


def _with_provenance(table, batch_id: str, fetched_at: datetime) -> list[tuple]:
    return [(*row.values(), batch_id, fetched_at) for row in table.to_pylist()]


def _batch_id(unit: str, path: Path) -> str:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashlib.sha256(f"{unit}|{sha}".encode()).hexdigest()


def kolada_n21704_rows(batch_id: str, fetched_at: datetime) -> list[tuple]:
    doc = json.loads(KOLADA_N21704.read_text(encoding="utf-8"))
    return _with_provenance(kolada.normalize_arrow(doc["values"], str(KOLADA_N21704)), batch_id, fetched_at)


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


def file_eftergym_rows(batch_id: str, fetched_at: datetime) -> list[tuple]:
    """As the file drop lands eftergym.csv with its mapping: rows carry the catalog row they feed; Region
    Dalarna (Kolada 0020) is county 20."""
    with DALARNA_EFTERGYM.open(encoding="utf-8") as fh:
        return [("file", "tertiary_education_25_64", "20", r["year"], r["gender"],
                 float(r["eftergymnasial 25-64 år, årsmedelvärde, andel (%) av bef."]), None, "{}", False,
                 batch_id, fetched_at) for r in csv.DictReader(fh)]


def file_n21704_rows(batch_id: str, fetched_at: datetime) -> list[tuple]:
    """The N21704 recording's values as a dropped export of the same KPI would carry them."""
    return [("file", "home_care_80plus_share", *row[2:]) for row in kolada_n21704_rows(batch_id, fetched_at)]


def scb_rows(path: Path, member: str | None, batch_id: str, fetched_at: datetime) -> tuple[list[tuple], list[str]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc = doc[member] if member else doc
    table_name = doc["extension"]["px"]["tableid"]
    table, _mandatory = scb.normalize_payload_arrow(doc, table_name, url=str(path))
    return _with_provenance(table, batch_id, fetched_at), list(doc.get("note", []))


def build_candidate(path: Path) -> dict:
    """Create the candidate file at `path`; returns a small summary for assertions."""
    fetched = datetime(2026, 6, 10, 8, 0, 0)
    batches = [
        ("kolada", "kolada:N21704:2023", ["N21704"], KOLADA_N21704, kolada_n21704_rows),
        ("kolada", "kolada:N00945", ["N00945"], KOLADA_N00945, kolada_n00945_rows),
        ("file", "file:eftergym.mapping.yaml", ["tertiary_education_25_64"], DALARNA_EFTERGYM, file_eftergym_rows),
        ("file", "file:home_care.mapping.yaml", ["home_care_80plus_share"], KOLADA_N21704, file_n21704_rows),
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
                INSERT_BATCH,
                [bid, source, unit, json.dumps(refs), "replay", "pytest", fetched, len(rows),
                 json.dumps([{"path": str(payload.relative_to(REPO))}]), "[]"],
            )
            summary[unit] = len(rows)
        for unit, payload, member in SCB_BATCHES:
            bid = _batch_id(unit, payload)
            rows, notes = scb_rows(payload, member, bid, fetched)
            con.executemany("insert into raw.observations values (?,?,?,?,?,?,?,?,?,?,?)", rows)
            con.execute(
                INSERT_BATCH,
                [bid, "scb", unit, json.dumps(sorted({r[1] for r in rows})), "replay", "pytest", fetched, len(rows),
                 json.dumps([{"path": str(payload.relative_to(REPO))}]), json.dumps(notes, ensure_ascii=False)],
            )
            summary[unit] = len(rows)
    finally:
        con.close()
    return summary


def replay_settings(tmp: Path) -> Settings:
    """Settings for a test's own `dbt build`: replay mode, runtime state under `tmp`, this repo's catalog and
    dbt project."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    return Settings(mode="replay", data_dir=tmp / "data", warehouse_dir=tmp / "warehouse", replay_url=None,
                    catalog_path=REPO / "dbt_project/seeds/indicator_catalog.csv",
                    dbt_project_dir=REPO / "dbt_project", expectations_dir=REPO / "expectations",
                    postgres_url=None)


if __name__ == "__main__":  # manual use: python tests/dbt/candidate_fixture.py /tmp/x.duckdb
    import sys

    print(build_candidate(Path(sys.argv[1])))
