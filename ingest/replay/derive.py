"""Build the derived recordings and `manifest.json` (run: `python -m ingest.replay.derive`).

Derived recordings are format conversions of real reference data into the Kolada v3 response envelope —
values unchanged, nothing invented — each with a `.source.txt` that says "DERIVED":
* `/kpi/{id}` for every Kolada KPI in the catalog, from ingest/reference/kolada_v3_kpi_catalogue_from_rKolada_sysdata.csv
* `/municipality` (312 rows) from dbt_project/seeds/reference/kolada_v3_municipality_from_rKolada_sysdata.csv
* `/data/kpi/N00945/year/{y}` for 2000–2020 from ingest/reference/rKolada_n00945_vab_mans_andel_0180_1280_1480.csv
The real recordings are mapped as they are (never rewritten).
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from ingest.catalog import kolada_kpis, load_catalog
from ingest.config import PACKAGE_DIR, REPO_ROOT
from ingest.replay.server import MANIFEST, RECORDINGS

REF = PACKAGE_DIR / "reference"
KPI_CSV = REF / "kolada_v3_kpi_catalogue_from_rKolada_sysdata.csv"
N00945_CSV = REF / "rKolada_n00945_vab_mans_andel_0180_1280_1480.csv"
MUNI_CSV = REPO_ROOT / "dbt_project" / "seeds" / "reference" / "kolada_v3_municipality_from_rKolada_sysdata.csv"
DERIVED = RECORDINGS / "kolada" / "derived"
JSON_CT = "application/json; charset=utf-8"
RKOLADA = ("LCHansson/rKolada R/sysdata.rda @ d52938874f9a9e0b6f4dd44f36fa5edb8cd69fa3 (2026-03-23), "
           "captured from the Kolada v3 API by rKolada")


def _bool(v: str):
    return {"TRUE": True, "FALSE": False}.get(v.strip().upper(), v)


def _write(path: Path, doc, sidecar: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    path.with_name(path.name + ".source.txt").write_text(sidecar.strip() + "\n", encoding="utf-8")
    return str(path.relative_to(RECORDINGS))


def kpi_metadata_rows() -> dict[str, dict]:
    with KPI_CSV.open(encoding="utf-8", newline="") as fh:
        out = {}
        for row in csv.DictReader(fh):
            rec = {}
            for k, v in row.items():
                if k in ("is_divided_by_gender", "has_ou_data"):
                    rec[k] = _bool(v)
                else:
                    rec[k] = v if v != "" else None   # R NA was written as an empty cell
            out[row["id"]] = rec
        return out


def build() -> dict:
    entries: list[dict] = []

    def add(method, path, file, *, provenance, query=None, body=None, status=200, ctype=JSON_CT, note=""):
        e = {"id": f"{method} {path}" + (f" {json.dumps(query, sort_keys=True)}" if query else ""),
             "method": method, "path": path, "query": query or {}, "file": file, "status": status,
             "content_type": ctype, "provenance": provenance, "source": file + ".source.txt"}
        if body:
            e["body"] = body
        if note:
            e["note"] = note
        entries.append(e)

    # ---- real recordings (unchanged) -------------------------------------------------------------------
    add("GET", "/kolada/v3/data/kpi/N21704/year/2023", "kolada/v3_data_kpi_N21704_year_2023_trimmed.json",
        provenance="real", note="trimmed by its recorder to 5 kommuner; no next_url in the envelope")
    add("GET", "/scb/v2/config", "scb/v2_config.json", provenance="real")
    add("GET", "/scb/v2/tables/TAB6471/metadata", "scb/v2_TAB6471_metadata.json", provenance="real")
    add("GET", "/scb/v2/codelists/agg_Ålder10årJ", "scb/v2_codelist_agg_Alder10arJ.json", provenance="real")
    add("GET", "/scb/v2/tables/", "scb/v2_tables_page1.json", provenance="real",
        query={"pagesize": "20", "pageNumber": "1"})
    add("GET", "/scb/v2/tables/", "scb/v2_tables_search_befolkning.json", provenance="real",
        query={"query": "befolkning", "pagesize": "20", "pageNumber": "1", "pastDays": "30"})
    tab6471 = json.loads((RECORDINGS / "scb/v2_TAB6471_data_folkmangd_manad_lan_kon.json").read_text("utf-8"))
    cats = {d: list(v["category"]["index"]) for d, v in tab6471["dimension"].items()}
    add("POST", "/scb/v2/tables/TAB6471/data", "scb/v2_TAB6471_data_folkmangd_manad_lan_kon.json",
        provenance="real", query={"outputFormat": "json-stat2"},
        body={"match": "selection", "selection": {
            "Region": {"codelist": "vs_CKM02Län", "valueCodes": ["*"]},
            "Alder": {"valueCodes": cats["Alder"]},
            "Kon": {"valueCodes": cats["Kon"]},
            "ContentsCode": {"valueCodes": cats["ContentsCode"]},
            "Tid": {"valueCodes": cats["Tid"]},
        }},
        note="The recorder did not keep the request body. The declared selection is reconstructed from the "
             "payload's own dimension categories (21 län = codelist vs_CKM02Län, 11 age classes, Kon, "
             "ContentsCode, 4 months); the response bytes are real and unchanged.")
    v1path = "/scb/v1/START/HE/HE0110/HE0110A/SamForvInk1"
    add("GET", v1path, "scb/v1_HE0110_table_metadata_GET.json", provenance="real")
    add("POST", v1path, "scb/v1_HE0110_medianinkomst_riket_kon_jsonstat2.json", provenance="real",
        body={"match": "json", "file": "scb/v1_HE0110_medianinkomst_riket_kon_query.json"},
        note="matched by canonical JSON equality with the exact recorded query body")

    # ---- derived: Kolada /kpi/{id} --------------------------------------------------------------------
    meta = kpi_metadata_rows()
    catalog = load_catalog(REPO_ROOT / "dbt_project" / "seeds" / "indicator_catalog.csv")
    missing = []
    for kpi in kolada_kpis(catalog):
        row = meta.get(kpi)
        if row is None:
            missing.append(kpi)
            continue
        file = _write(DERIVED / f"v3_kpi_{kpi}.json", {"values": [row]}, f"""
DERIVED (not a captured HTTP response): Kolada v3 GET /v3/kpi/{kpi} rebuilt in the v3 envelope {{"values":[…]}}
from one row of ingest/reference/kolada_v3_kpi_catalogue_from_rKolada_sysdata.csv (itself a format conversion of
{RKOLADA}). Field names as in that CSV; values unchanged, except TRUE/FALSE written as JSON booleans and empty
cells (R NA) as null. Built by `python -m ingest.replay.derive`.""")
        add("GET", f"/kolada/v3/kpi/{kpi}", file, provenance="derived")
    if missing:
        raise SystemExit(f"catalog KPIs missing from the reference KPI catalogue: {missing}")

    # ---- derived: Kolada /municipality -----------------------------------------------------------------
    with MUNI_CSV.open(encoding="utf-8", newline="") as fh:
        munis = [{"id": r["id"], "title": r["title"], "type": r["type"]} for r in csv.DictReader(fh)]
    file = _write(DERIVED / "v3_municipality_all.json", {"values": munis}, f"""
DERIVED (not a captured HTTP response): Kolada v3 GET /v3/municipality ({len(munis)} rows) rebuilt in the v3
envelope {{"values":[…]}} from dbt_project/seeds/reference/kolada_v3_municipality_from_rKolada_sysdata.csv
(format conversion of {RKOLADA}). Values unchanged. The real (trimmed, bare-list) capture is
../v3_municipality_trimmed.json. Built by `python -m ingest.replay.derive`.""")
    add("GET", "/kolada/v3/municipality", file, provenance="derived")

    # ---- derived: Kolada N00945 data per year -----------------------------------------------------------
    with N00945_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for year in sorted({int(r["year"]) for r in rows}):
        items = []
        for r in (r for r in rows if int(r["year"]) == year):
            cell = {"gender": r["gender"], "count": int(r["count"]), "status": r["status"],
                    "value": float(r["value"]) if r["value"] != "" else None}
            items.append({"values": [cell], "kpi": r["kpi"], "period": year, "municipality": r["municipality_id"]})
        file = _write(DERIVED / f"v3_data_kpi_N00945_year_{year}.json", {"values": items}, f"""
DERIVED (not a captured HTTP response): Kolada v3 GET /v3/data/kpi/N00945/year/{year} rebuilt in the v3 data
envelope from ingest/reference/rKolada_n00945_vab_mans_andel_0180_1280_1480.csv (rKolada get_values(kpi="N00945",
municipality=c("0180","1480","1280"), period=2000:2020) against Kolada v3; {RKOLADA}). Only the 3 kommuner 0180,
1280, 1480 (the live response has every area). Values, gender, count and status unchanged; rKolada's simplified
columns mapped back (year→period, municipality_id→municipality). `isdeleted` is absent because rKolada did not
keep it (not invented). Built by `python -m ingest.replay.derive`.""")
        add("GET", f"/kolada/v3/data/kpi/N00945/year/{year}", file, provenance="derived")

    doc = {"version": 1,
           "about": "Request → recording map for ingest/replay/server.py. Generated by `python -m "
                    "ingest.replay.derive`; edit that script, not this file.",
           "ignored_params": ["per_page", "lang"], "entries": entries}
    MANIFEST.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return doc


if __name__ == "__main__":
    d = build()
    print(f"wrote {MANIFEST} with {len(d['entries'])} entries")
