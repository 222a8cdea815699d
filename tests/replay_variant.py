"""A replay set for Kolada KPI N21704 built from the real recording, optionally changed (SYNTHETIC changes for
fault tests): the real replay server then serves it over HTTP, so ingest runs exactly as in replay mode.

The replay server answers a request for several years from the single-year recordings, a year without one adding
nothing, so a fetch of the default years (2014..this year) is a *full* snapshot of the KPI; with
JAMSTAT_KOLADA_YEARS=2023 it is a narrower, *incremental* one."""
from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
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


def write_variant(folder: Path, edit: Callable[[dict], None] | None = None) -> tuple[Path, Path]:
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
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps({"entries": [meta, data]}, ensure_ascii=False), "utf-8")
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
