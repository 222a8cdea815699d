"""json-stat2 decoder: real recordings, sparse forms, and the speed benchmark vs pandas.json_normalize."""
from __future__ import annotations

import itertools
import json
import time

import numpy as np
import pandas as pd
import pytest

from ingest.http import SchemaDrift
from ingest.sources import jsonstat
from jamstat.settings import REPO_ROOT
from tests.ingest.synthetic import jsonstat_cube

REC = REPO_ROOT / "ingest" / "replay" / "recordings" / "scb"


def _frame(cube: jsonstat.Cube) -> pd.DataFrame:
    """One row per cell: each dimension's code (Cube.column) and the value."""
    return pd.DataFrame({**{d: cube.column(d) for d in cube.ids}, "value": cube.values})


def test_decode_v1_recording_row_major():
    doc = json.loads((REC / "v1_HE0110_medianinkomst_riket_kon_jsonstat2.json").read_text("utf-8"))
    cube = jsonstat.decode(doc)
    f = _frame(cube)
    assert cube.ids == ["Kon", "Alder", "ContentsCode", "Tid"] and cube.n == 9
    assert list(f["Kon"]) == ["1"] * 3 + ["2"] * 3 + ["1+2"] * 3
    assert list(f["Tid"]) == ["2020", "2021", "2022"] * 3
    assert f.loc[(f.Kon == "2") & (f.Tid == "2022"), "value"].item() == 277.3


def test_decode_v2_recording_and_notes():
    doc = json.loads((REC / "v2_TAB6471_data_folkmangd_manad_lan_kon.json").read_text("utf-8"))
    cube = jsonstat.decode(doc)
    assert cube.n == 21 * 11 * 3 * 1 * 4
    f = _frame(cube)
    row = f[(f.Region == "01") & (f.Alder == "0-9") & (f.Kon == "2") & (f.Tid == "2026M01")]
    assert row["value"].item() == 119906
    assert len(cube.notes) == 5 and any(n.startswith("Alder: Med ålder") for n in cube.notes)


def test_sparse_value_and_string_status():
    doc = jsonstat_cube({"A": ["a", "b"], "Tid": ["1", "2"]})
    doc["value"] = {"0": 1.0, "3": 4.0}
    doc["status"] = "p"
    cube = jsonstat.decode(doc)
    assert np.isnan(cube.values[1]) and cube.values[3] == 4.0 and list(cube.status) == ["p"] * 4


def test_size_mismatch_is_schema_drift():
    doc = jsonstat_cube({"A": ["a", "b"], "Tid": ["1"]})
    doc["value"] = [1.0]
    with pytest.raises(SchemaDrift, match="value has 1 entries"):
        jsonstat.decode(doc)
    doc = jsonstat_cube({"A": ["a"], "Tid": ["1"]})
    del doc["size"]
    with pytest.raises(SchemaDrift, match="'size' missing"):
        jsonstat.decode(doc)


def test_dims_json_is_valid_json():
    f = pd.DataFrame({"Alder": ["0-9", 'x"y'], "Utb": ["å", "b"]})
    out = jsonstat.dims_json(f, ["Utb", "Alder"])
    assert [json.loads(x) for x in out] == [{"Alder": "0-9", "Utb": "å"}, {"Alder": 'x"y', "Utb": "b"}]


def test_decoder_is_at_least_5x_faster_than_json_normalize():
    dims = {"Region": [f"{i:04d}" for i in range(290)], "Kon": ["1", "2", "1+2"],
            "Alder": [str(a) for a in range(10)], "ContentsCode": ["X"], "Tid": [str(y) for y in range(2010, 2030)]}
    doc = jsonstat_cube(dims)  # SYNTHETIC 174 000 cells

    def via_json_normalize(d):
        keys = [list(d["dimension"][k]["category"]["index"]) for k in d["id"]]
        records = [{"dims": dict(zip(d["id"], combo, strict=True)), "value": v}
                   for combo, v in zip(itertools.product(*keys), d["value"], strict=True)]
        return pd.json_normalize(records)

    def best(fn, n=3):
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            fn(doc)
            times.append(time.perf_counter() - t0)
        return min(times)

    fast = best(lambda d: _frame(jsonstat.decode(d)))
    slow = best(via_json_normalize, 1)
    a = _frame(jsonstat.decode(doc))
    b = via_json_normalize(doc)
    assert list(a["Region"][:5]) == list(b["dims.Region"][:5]) and np.allclose(a["value"], b["value"])
    assert slow / fast >= 5, f"decoder {fast:.3f}s vs json_normalize {slow:.3f}s"
