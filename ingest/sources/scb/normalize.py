"""json-stat2 responses → the normalised long rows (Arrow): sex codes mapped, area and period columns
found, status symbols kept, every other dimension in `dims`."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pyarrow as pa

from ingest.http import SchemaDrift
from ingest.sources import jsonstat, rows_to_frame
from ingest.sources.scb.metadata import CONTENTS, REGION_VARS, SEX_MAP, SEX_VARS


def _time_dimension(cube: jsonstat.Cube, table_name: str, url: str) -> str:
    time_ids = (cube.extension or {}).get("_time_ids")
    time_id = next((i for i in cube.ids if i in (time_ids or ("Tid",))), None)
    if time_id is None:
        time_id = next((i for i in cube.ids if i.lower() in ("tid", "time", "år", "year", "månad")), None)
    if time_id is None:
        raise SchemaDrift(f"SCB {url or table_name}: no time dimension (Tid) in {cube.ids}", url=url)
    return time_id


def normalize_cube_arrow(cube: jsonstat.Cube, table_name: str, contents_code: str | None = None,
                         url: str = "") -> pa.Table:
    """json-stat2 cube → observation rows as an Arrow table (without batch_id / fetched_at).

    Vectorised per dimension: each output column is a `take` of a small per-category array by the cells'
    category positions, so the cost is a few numpy/Arrow calls per dimension, not Python work per cell."""
    time_id = _time_dimension(cube, table_name, url)
    region = next((r for r in REGION_VARS if r in cube.ids), None)
    sex = next((x for x in SEX_VARS if x in cube.ids), None)
    n = cube.n

    def by_category(dim: str, per_category: list) -> pa.Array:
        return pa.array(per_category, pa.string()).take(pa.array(cube.positions(dim)))

    def constant(text: str) -> pa.Array:
        return pa.array([text], pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))

    if CONTENTS in cube.ids:
        source_ref = by_category(CONTENTS, [f"{table_name}/{c}" for c in cube.codes[CONTENTS]])
    elif contents_code:
        source_ref = constant(f"{table_name}/{contents_code}")
    else:
        raise SchemaDrift(f"SCB {url or table_name}: no ContentsCode dimension and none given", url=url)
    if sex:
        unknown = sorted(set(cube.codes[sex]) - set(SEX_MAP))
        if unknown:
            raise SchemaDrift(f"SCB {url or table_name}: unknown sex code(s) {unknown} in {sex}", url=url)
        sexes = by_category(sex, [SEX_MAP[c] for c in cube.codes[sex]])
    else:
        sexes = constant("T")
    other = sorted(d for d in cube.ids if d not in {time_id, region, sex, CONTENTS})
    return pa.table({
        "source": constant("scb"),
        "source_ref": source_ref,
        "area_code": by_category(region, cube.codes[region]) if region else constant("00"),
        "period": by_category(time_id, cube.codes[time_id]),
        "sex": sexes,
        "value": pa.array(cube.values, pa.float64(), from_pandas=True),  # NaN → null
        "status": pa.array(cube.status, pa.string()),
        "dims": _dims_json(cube, other),
        "is_deleted": pa.array(np.zeros(n, dtype=bool), pa.bool_()),
    })


def _dims_json(cube: jsonstat.Cube, dims: list[str]) -> pa.Array:
    """JSON object text of the other dimensions' codes per cell (keys sorted); '{}' when there are none.
    Built once per combination of categories (mixed-radix index), then taken per cell."""
    n = cube.n
    if not dims:
        return pa.array(["{}"], pa.string()).take(pa.array(np.zeros(n, dtype=np.int64)))
    sizes = [len(cube.codes[d]) for d in dims]
    combos = int(np.prod(sizes, dtype=np.int64))
    if combos > max(n, 1):  # pathological: more combinations than cells; encode per cell instead
        cols = [np.asarray(cube.codes[d], dtype=object)[cube.positions(d)] for d in dims]
        return pa.array([json.dumps(dict(zip(dims, vals, strict=True)), ensure_ascii=False)
                         for vals in zip(*cols, strict=True)], pa.string())
    index = np.zeros(n, dtype=np.int64)
    for d, size in zip(dims, sizes, strict=True):
        index = index * size + cube.positions(d)
    texts = ["{" + ",".join(json.dumps(d, ensure_ascii=False) + ":" + json.dumps(c, ensure_ascii=False)
                            for d, c in zip(dims, combo, strict=True)) + "}"
             for combo in itertools.product(*(cube.codes[d] for d in dims))]
    return pa.array(texts, pa.string()).take(pa.array(index))


def normalize_payload_arrow(doc: dict, table_name: str | None = None, contents_code: str | None = None,
                            url: str = "") -> tuple[pa.Table, list[str]]:
    """Any json-stat2 dataset → (observation rows, mandatory notes). Table name from extension.px if not given."""
    cube = jsonstat.decode(doc, url)
    cube.extension = dict(cube.extension or {})
    cube.extension["_time_ids"] = tuple(((doc.get("role") or {}).get("time")) or ("Tid",))
    if not table_name:
        px = (doc.get("extension") or {}).get("px") or {}
        table_name = px.get("tableid") or px.get("matrix") or "unknown_table"
    return normalize_cube_arrow(cube, table_name, contents_code, url), cube.notes


def normalize_payload(doc: dict, table_name: str | None = None, contents_code: str | None = None,
                      url: str = "") -> tuple[pd.DataFrame, list[str]]:
    """`normalize_payload_arrow` with a pandas DataFrame (CLI, tests)."""
    table, notes = normalize_payload_arrow(doc, table_name, contents_code, url)
    return rows_to_frame(table), notes
