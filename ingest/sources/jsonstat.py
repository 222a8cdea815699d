"""A fast, vectorised json-stat2 decoder.

json-stat2 stores a dense cube: `id` (dimension order), `size` (categories per dimension), `value` (row-major,
last dimension fastest) and an optional `status` (list, {index: symbol} object or one string for all cells).
`decode()` turns it into a `Cube` whose `column(dim)` gives each cell's category code, computed with numpy
repeat/tile, never with per-cell Python loops.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ingest.http import SchemaDrift


@dataclass
class Cube:
    ids: list[str]
    sizes: list[int]
    codes: dict[str, list[str]]          # dimension id -> category codes in index order
    labels: dict[str, dict[str, str]]
    values: np.ndarray                    # float64, NaN = null
    status: np.ndarray                    # object array of str | None
    notes: list[str] = field(default_factory=list)     # mandatory notes (noteMandatory)
    extension: dict[str, Any] = field(default_factory=dict)
    label: str = ""

    @property
    def n(self) -> int:
        return int(self.values.shape[0])

    def positions(self, dim: str) -> np.ndarray:
        """Category position of every cell along `dim` (row-major, last dimension fastest)."""
        i = self.ids.index(dim)
        inner = int(np.prod(self.sizes[i + 1:], dtype=np.int64))
        outer = int(np.prod(self.sizes[:i], dtype=np.int64))
        return np.tile(np.repeat(np.arange(self.sizes[i], dtype=np.int64), inner), outer)

    def column(self, dim: str) -> np.ndarray:
        return np.asarray(self.codes[dim], dtype=object)[self.positions(dim)]


def _require(obj: dict, key: str, where: str, url: str = "") -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise SchemaDrift(f"{url or 'json-stat2'}: field {key!r} missing in {where}; the payload is not "
                          "json-stat2 as expected (request outputFormat=json-stat2 / response.format json-stat2)",
                          url=url)
    return obj[key]


def _category_codes(dim: dict, name: str, url: str) -> list[str]:
    cat = _require(dim, "category", f"dimension {name!r}", url)
    index = cat.get("index")
    if index is None:  # json-stat allows a single-category dimension with labels only
        labels = _require(cat, "label", f"dimension {name!r}.category", url)
        return list(labels)
    if isinstance(index, list):
        return [str(c) for c in index]
    ordered = sorted(index.items(), key=lambda kv: kv[1])
    return [str(code) for code, _ in ordered]


def _dense(raw: Any, n: int, what: str, url: str, numeric: bool) -> np.ndarray:
    if numeric:
        out = np.full(n, np.nan, dtype=np.float64)
    else:
        out = np.full(n, None, dtype=object)
    if raw is None:
        return out
    if isinstance(raw, list):
        if len(raw) != n:
            raise SchemaDrift(f"{url or 'json-stat2'}: {what} has {len(raw)} entries but size implies {n}", url=url)
        if numeric:
            try:
                return np.array(raw, dtype=np.float64)  # None -> nan
            except (TypeError, ValueError):
                return pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(np.float64)
        arr = np.array(raw, dtype=object)
        arr[arr == ""] = None
        return arr
    if isinstance(raw, dict):  # sparse {"idx": v}
        if raw:
            idx = np.fromiter((int(k) for k in raw), dtype=np.int64, count=len(raw))
            vals = list(raw.values())
            out[idx] = np.array(vals, dtype=np.float64) if numeric else np.array(vals, dtype=object)
        return out
    if isinstance(raw, str) and not numeric:  # one status for every cell
        out[:] = raw
        return out
    raise SchemaDrift(f"{url or 'json-stat2'}: {what} has unexpected type {type(raw).__name__}", url=url)


def mandatory_notes(doc: dict) -> list[str]:
    """Notes flagged by `extension.noteMandatory` at the root and per dimension (dimension notes prefixed)."""
    out: list[str] = []

    def pick(notes: Any, flags: Any, prefix: str) -> None:
        if not isinstance(notes, list) or not isinstance(flags, dict):
            return
        for key, flag in flags.items():
            try:
                i = int(key)
            except ValueError:
                continue
            if flag and 0 <= i < len(notes):
                out.append(prefix + str(notes[i]).strip())

    ext = doc.get("extension") or {}
    pick(doc.get("note"), ext.get("noteMandatory"), "")
    for name, dim in (doc.get("dimension") or {}).items():
        dext = (dim or {}).get("extension") or {}
        pick(dim.get("note"), dext.get("noteMandatory"), f"{name}: ")
    return out


def decode(doc: dict, url: str = "") -> Cube:
    if not isinstance(doc, dict):
        raise SchemaDrift(f"{url or 'json-stat2'}: expected a JSON object, got {type(doc).__name__}", url=url)
    if doc.get("class", "dataset") != "dataset":
        raise SchemaDrift(f"{url or 'json-stat2'}: class is {doc.get('class')!r}, expected 'dataset'", url=url)
    ids = [str(i) for i in _require(doc, "id", "the dataset root", url)]
    sizes = [int(s) for s in _require(doc, "size", "the dataset root", url)]
    dims = _require(doc, "dimension", "the dataset root", url)
    if len(ids) != len(sizes):
        raise SchemaDrift(f"{url or 'json-stat2'}: id has {len(ids)} entries but size has {len(sizes)}", url=url)
    codes: dict[str, list[str]] = {}
    labels: dict[str, dict[str, str]] = {}
    for name, size in zip(ids, sizes, strict=True):
        dim = _require(dims, name, "dimension", url)
        codes[name] = _category_codes(dim, name, url)
        if len(codes[name]) != size:
            raise SchemaDrift(f"{url or 'json-stat2'}: dimension {name!r} has {len(codes[name])} categories, "
                              f"size says {size}", url=url)
        labels[name] = dict((dim.get("category") or {}).get("label") or {})
    n = int(np.prod(sizes, dtype=np.int64)) if sizes else 0
    values = _dense(_require(doc, "value", "the dataset root", url), n, "value", url, numeric=True)
    status = _dense(doc.get("status"), n, "status", url, numeric=False)
    return Cube(ids=ids, sizes=sizes, codes=codes, labels=labels, values=values, status=status,
                notes=mandatory_notes(doc), extension=doc.get("extension") or {}, label=str(doc.get("label", "")))


def dims_json(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """JSON object text per row of the given code columns (keys sorted), vectorised; '{}' when none."""
    import json

    if not columns:
        return np.full(len(frame), "{}", dtype=object)
    parts = None
    for col in sorted(columns):
        cats = pd.Categorical(frame[col].astype(str))
        enc = np.array([json.dumps(col, ensure_ascii=False) + ":" + json.dumps(c, ensure_ascii=False)
                        for c in cats.categories], dtype=object)
        piece = enc[cats.codes]
        parts = piece if parts is None else parts + "," + piece
    return "{" + parts + "}"
