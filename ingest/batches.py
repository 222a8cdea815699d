"""Batches: one unit of ingest work (one Kolada KPI, one SCB table chunk, one dropped file) in one run.

`data/batches/<source>/<batch_id>.json` is the manifest (keys `contract.BATCH_MANIFEST_KEYS`: the provenance
of every raw response) and `<batch_id>.parquet` the rows (exactly `contract.OBSERVATION_COLUMNS`). The
parquet is renamed into place last: its presence is the commit marker. `batch_id` = sha256 over the unit
name and the sorted sha256s of its responses, so re-fetching unchanged content finds the committed parquet
and writes nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingest.contract import (
    BATCH_MANIFEST_KEYS,
    OBSERVATION_COLUMNS,
    PERIOD_FORMATS,
    PERIOD_PATTERN,
    SEX_CODES,
    SNAPSHOTS,
)
from ingest.http import Fetched
from ingest.raw_store import atomic_write, iso_utc, land_raw, response_record, safe_name

_ARROW_TYPES = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(),
                "TIMESTAMP": pa.timestamp("us")}
ARROW_SCHEMA = pa.schema([(name, _ARROW_TYPES[t]) for name, t in OBSERVATION_COLUMNS.items()])


@dataclass
class Unit:
    """Collects the landed responses of one unit of work, then commits its batch.

    Usage: `unit = Unit.for_settings(settings, "kolada", "kolada:N00945", mode, run_id, check_unit="N00945")`;
    `unit.land(fetched, dataset)` for each response; `unit.commit(frame)` at the very end. If the unit raises
    before `commit`, no batch exists (the raw payloads stay: they are immutable evidence, not a batch).
    `check_unit` is the registry unit (KPI id, SCB spec id, mapping file) and `snapshot` says whether the batch
    is all the source holds for it ("full") or layers on earlier batches ("incremental").
    """

    raw_dir: Path
    batches_dir: Path
    source: str
    unit: str
    mode: str
    run_id: str
    data_dir: Path | None = None
    check_unit: str = ""
    snapshot: str = "full"
    responses: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def for_settings(cls, settings, source: str, unit: str, mode: str, run_id: str, *, check_unit: str,
                     snapshot: str = "full") -> Unit:
        return cls(settings.raw_dir, settings.batches_dir, source, unit, mode, run_id, settings.data_dir,
                   check_unit, snapshot)

    def land(self, fetched: Fetched, dataset: str, ext: str = "json") -> str:
        sha, path = land_raw(self.raw_dir, self.source, dataset, fetched.body, fetched.fetched_at, ext)
        self.responses.append(response_record(fetched, sha, path, self.data_dir))
        return sha

    def note(self, text: str) -> None:
        if text and text not in self.notes:
            self.notes.append(text)

    @property
    def batch_id(self) -> str:
        return compute_batch_id(self.unit, [r["sha256"] for r in self.responses])

    def commit(self, frame: pd.DataFrame | pa.Table, source_refs: list[str] | None = None) -> BatchResult:
        return commit_batch(self.batches_dir, source=self.source, unit=self.unit, responses=self.responses,
                            frame=frame, mode=self.mode, run_id=self.run_id, notes=self.notes,
                            source_refs=source_refs, check_unit=self.check_unit or self.unit,
                            snapshot=self.snapshot)


def compute_batch_id(unit: str, shas: list[str]) -> str:
    h = hashlib.sha256(unit.encode("utf-8"))
    for s in sorted(shas):
        h.update(b"\n" + s.encode("ascii"))
    return h.hexdigest()


@dataclass
class BatchResult:
    status: str            # loaded | unchanged
    batch_id: str
    rows: int
    parquet: Path
    manifest: Path

    def summary(self) -> dict[str, Any]:
        return {"status": self.status, "batch_id": self.batch_id, "rows": self.rows,
                "parquet": str(self.parquet)}


def to_observation_table(frame: pd.DataFrame | pa.Table, batch_id: str, fetched_at: datetime) -> pa.Table:
    """Coerce rows with the observation columns (batch_id/fetched_at filled here) to the contract schema."""
    if isinstance(frame, pa.Table):
        return _arrow_observations(frame, batch_id, fetched_at)
    df = frame.copy()
    df["batch_id"] = batch_id
    df["fetched_at"] = pd.Timestamp(fetched_at.astimezone(UTC).replace(tzinfo=None))
    missing = [c for c in OBSERVATION_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"batch frame lacks contract columns {missing}; see ingest/contract.py")
    df = df[list(OBSERVATION_COLUMNS)]
    bad_sex = set(df["sex"].dropna().unique()) - set(SEX_CODES)
    if bad_sex or df["sex"].isna().any():
        raise ValueError(f"sex must be one of {SEX_CODES}; got {sorted(map(str, bad_sex)) or ['null']}")
    if df["area_code"].isna().any() or df["period"].isna().any() or df["source_ref"].isna().any():
        raise ValueError("area_code, period and source_ref must not be null")
    arrays = []
    for name, typ in OBSERVATION_COLUMNS.items():
        col = df[name]
        if typ == "VARCHAR":
            values = [None if (v is None or (isinstance(v, float) and v != v)) else str(v) for v in col.tolist()]
            arrays.append(pa.array(values, type=pa.string()))
        elif typ == "DOUBLE":
            arrays.append(pa.array(pd.to_numeric(col, errors="raise").astype("float64").to_numpy(),
                                   type=pa.float64(), from_pandas=True))
        elif typ == "BOOLEAN":
            arrays.append(pa.array(col.fillna(False).astype(bool).to_numpy(), type=pa.bool_()))
        else:
            arrays.append(pa.array(pd.to_datetime(col).astype("datetime64[us]").to_numpy(), type=pa.timestamp("us")))
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


def _arrow_observations(table: pa.Table, batch_id: str, fetched_at: datetime) -> pa.Table:
    import pyarrow.compute as pc

    base = [c for c in OBSERVATION_COLUMNS if c not in ("batch_id", "fetched_at")]
    missing = [c for c in base if c not in table.column_names]
    if missing:
        raise ValueError(f"batch rows lack contract columns {missing}; see ingest/contract.py")
    sex = table.column("sex")
    bad_sex = set(pc.unique(sex).to_pylist()) - set(SEX_CODES)
    if bad_sex:
        raise ValueError(f"sex must be one of {SEX_CODES}; got {sorted(map(str, bad_sex))}")
    for name in ("area_code", "period", "source_ref"):
        if table.column(name).null_count:
            raise ValueError("area_code, period and source_ref must not be null")
    n = table.num_rows
    stamp = fetched_at.astimezone(UTC).replace(tzinfo=None)
    columns = [table.column(c).cast(ARROW_SCHEMA.field(c).type) for c in base]
    columns.append(pa.array([batch_id] * n, pa.string()))
    columns.append(pa.array([stamp] * n, pa.timestamp("us")))
    return pa.Table.from_arrays(columns, schema=ARROW_SCHEMA)


def commit_batch(batches_dir: Path, *, source: str, unit: str, responses: list[dict[str, Any]],
                 frame: pd.DataFrame | pa.Table, mode: str, run_id: str, notes: list[str] | None = None,
                 source_refs: list[str] | None = None, check_unit: str, snapshot: str) -> BatchResult:
    if snapshot not in SNAPSHOTS:
        raise ValueError(f"snapshot must be one of {SNAPSHOTS}, got {snapshot!r}")
    batch_id = compute_batch_id(unit, [r["sha256"] for r in responses])
    out_dir = batches_dir / safe_name(source)
    parquet = out_dir / f"{batch_id}.parquet"
    manifest = out_dir / f"{batch_id}.json"
    if parquet.exists():  # committed before with identical content: a no-op
        rows = pq.ParquetFile(parquet).metadata.num_rows
        return BatchResult("unchanged", batch_id, rows, parquet, manifest)
    fetched_at = max((datetime.fromisoformat(r["fetched_at"].replace("Z", "+00:00")) for r in responses),
                     default=datetime.now(UTC))
    table = to_observation_table(frame, batch_id, fetched_at)
    check_rows(table, unit)
    refs = source_refs if source_refs is not None else sorted(
        {r for r in table.column("source_ref").to_pylist() if r is not None})
    body = {
        "batch_id": batch_id, "source": source, "unit": unit, "source_refs": refs, "mode": mode,
        "run_id": run_id, "fetched_at": iso_utc(fetched_at), "row_count": table.num_rows,
        "responses": responses, "notes": list(notes or []), "check_unit": check_unit, "snapshot": snapshot,
    }
    assert tuple(body) == BATCH_MANIFEST_KEYS
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(manifest, json.dumps(body, ensure_ascii=False, indent=1, default=str).encode("utf-8"))
    fd, tmp = tempfile.mkstemp(prefix=f".{batch_id}.", suffix=".parquet.tmp", dir=out_dir)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, parquet)  # commit marker: last
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return BatchResult("loaded", batch_id, table.num_rows, parquet, manifest)


def read_manifests(batches_dir: Path, source: str | None = None, committed_only: bool = True) -> list[dict]:
    """All batch manifests (optionally of one source); by default only those whose parquet exists."""
    dirs = [batches_dir / source] if source else sorted(p for p in batches_dir.glob("*") if p.is_dir())
    out = []
    for d in dirs:
        for path in sorted(d.glob("*.json")):
            if committed_only and not path.with_suffix(".parquet").exists():
                continue
            try:
                out.append(json.loads(path.read_text("utf-8")))
            except (OSError, json.JSONDecodeError):
                continue
    return out


def empty_table() -> pa.Table:
    """No observation rows, in the contract's Arrow schema minus batch_id/fetched_at."""
    return pa.schema([f for f in ARROW_SCHEMA if f.name not in ("batch_id", "fetched_at")]).empty_table()


def check_rows(table: pa.Table, unit: str) -> None:
    """Refuse rows the warehouse cannot read unambiguously: a period that does not parse (it would fail every
    later dbt build) or one key with two different values (latest-wins could not choose)."""
    import duckdb
    import pyarrow.compute as pc

    periods = table.column("period")
    bad = pc.invert(pc.match_substring_regex(periods, PERIOD_PATTERN.pattern))
    if pc.any(bad).as_py():
        examples = sorted(set(pc.filter(periods, bad).to_pylist()))[:5]
        raise ValueError(f"{unit}: period(s) {examples} are not {PERIOD_FORMATS}; nothing was committed. Fix the "
                         "source or its mapping.")
    with duckdb.connect() as con:
        con.register("batch_rows", table)
        clashes = con.execute("""
            SELECT source_ref, area_code, period, sex, dims, list(DISTINCT coalesce(CAST(value AS VARCHAR), status,
                   'null') ORDER BY 1) AS seen
            FROM batch_rows GROUP BY ALL
            HAVING count(DISTINCT (value, status, is_deleted)) > 1 ORDER BY ALL LIMIT 3""").fetchall()
    if clashes:
        shown = "; ".join(f"{r[0]} area {r[1]} period {r[2]} sex {r[3]} dims {r[4]}: {r[5]}" for r in clashes)
        raise ValueError(f"{unit}: the same key carries different values in one batch ({shown}); nothing was "
                         "committed. The source contradicts itself: check it before ingesting again.")
