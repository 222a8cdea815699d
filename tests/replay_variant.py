"""A replay set for Kolada KPI N21704 built from the real recording, optionally changed (SYNTHETIC changes for
fault tests): the real replay server then serves it over HTTP, so ingest runs exactly as in replay mode.

`all_years=True` also answers every year 2014..this year that is not recorded with an empty page (SYNTHETIC),
so a fetch covers the KPI's whole scope and is a *full* snapshot; otherwise the unrecorded years are replay
misses and the fetch is incremental."""
from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

from ingest.replay.server import MANIFEST, RECORDINGS

KPI = "N21704"
DATA_PATH = f"/kolada/v3/data/kpi/{KPI}/year/2023"
META_PATH = f"/kolada/v3/kpi/{KPI}"


def real_n21704_2023() -> dict:
    entry = _entries()[DATA_PATH]
    return json.loads((RECORDINGS / entry["file"]).read_text("utf-8"))


def _entries() -> dict[str, dict]:
    return {e["path"]: e for e in json.loads(MANIFEST.read_text("utf-8"))["entries"]}


def write_variant(folder: Path, edit: Callable[[dict], None] | None = None, *, all_years: bool = False) -> tuple[Path, Path]:
    """(manifest, recordings root) of a replay set for N21704; `edit(doc)` changes the 2023 payload in place."""
    root = folder / "recordings"
    entries = _entries()
    meta, data = copy.deepcopy(entries[META_PATH]), copy.deepcopy(entries[DATA_PATH])
    (root / meta["file"]).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(RECORDINGS / meta["file"], root / meta["file"])
    doc = real_n21704_2023()
    if edit is not None:
        edit(doc)
        data["provenance"] = "synthetic"
        data["note"] = "SYNTHETIC: the real recording changed by a fault test"
    (root / data["file"]).parent.mkdir(parents=True, exist_ok=True)
    (root / data["file"]).write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    out = [meta, data]
    if all_years:
        (root / "empty.json").write_text(json.dumps({"values": [], "next_url": None}), "utf-8")
        for year in range(2014, date.today().year + 1):
            if year != 2023:
                out.append({"id": f"empty {year}", "method": "GET", "path": f"/kolada/v3/data/kpi/{KPI}/year/{year}",
                            "query": {}, "file": "empty.json", "status": 200, "provenance": "synthetic",
                            "content_type": "application/json; charset=utf-8",
                            "note": "SYNTHETIC: an empty year so the fetch covers the KPI's whole scope"})
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps({"entries": out}, ensure_ascii=False), "utf-8")
    return manifest, root


def set_value(area: str, sex: str, value) -> Callable[[dict], None]:
    """An edit: the 2023 value of one area and sex becomes `value` (SYNTHETIC)."""
    def edit(doc: dict) -> None:
        cell = next(c for item in doc["values"] if item["municipality"] == area for c in item["values"]
                    if c["gender"] == sex)
        cell["value"] = value
    return edit


def add_area(area: str) -> Callable[[dict], None]:
    """An edit: a row for an area code that does not exist (SYNTHETIC poison key)."""
    def edit(doc: dict) -> None:
        doc["values"].append({"kpi": KPI, "period": 2023, "municipality": area,
                              "values": [{"gender": "T", "count": 1, "status": "", "value": 20.0, "isdeleted": False}]})
    return edit
