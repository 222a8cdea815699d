"""File-drop source: an analyst drops an export (SCB CSV, FK xlsx …) into `data/landing/` together with a small
mapping file, and it is ingested like any other batch (source = 'file'). ingest/file_drop.py guards the folder
(what may be read) and resolves what the file feeds; this module reads and normalises the table.

A mapping is recognised by its name alone: `<name>.mapping.yaml` (or `.mapping.yml`, `.mapping.json`); every
other file in the folder is data. Example (`docs/examples/landing/vab_fk.mapping.yaml`):

    file: vab_2023.csv                # the export: a regular file inside data/landing/ (no absolute path, no
                                      # '..', no symlink leading out), at most JAMSTAT_FILE_DROP_MAX_BYTES
    indicator_id: vab_fk_open_data    # the catalog row it feeds; its rows carry source_ref = indicator_id
    # source_ref: …                   # instead of indicator_id: a ref declared for file rows, in the catalog's
                                      # ingest_source_refs (fk/bra/other rows) or indicator_series_map (source file)
    format: csv | xlsx                # default from the extension
    encoding: iso-8859-1              # default: utf-8 (BOM tolerated), then cp1252
    delimiter: ","                    # default: sniffed
    skip_rows: 0                      # lines above the header
    sheet: 0                          # xlsx only
    columns: {area: region, sex: kön, period: år, value: Värde}
    wide_periods: true                # period columns (headers like 2020 or 2026M01) instead of period/value
    period_pattern: '^\\d{4}(M\\d{2})?$'
    area_pattern: '^(\\d{2,4})'       # extracts the code from "0180 Stockholm"
    sex_map: {män: M, kvinnor: K, totalt: T}   # merged over the defaults
    sex: T                            # constant sex when there is no sex column
    area: '00'                        # constant area when there is no area column
    dims: [ålder]                     # extra columns kept in dims JSON (several combinations need a series-map rule)
    decimal: ","                      # "," or "."; default: detected per column (ingest/sources/numbers.py)
    thousands: " "                    # " ", ".", "," or "" (none); default: detected per column

Rules that fail the file (naming file, column and rows, nothing committed): a value column that could be read
two ways ("1,250") or mixes conventions; a period that is not a year, a month (2023M01) or a span (2019-2023); the same
area/period/sex/dims twice with different values. Status symbols ('..', '.', '-', '') become value null with
the symbol kept in `status`. Messages quote the file only through `excerpt` (short, redacted): they reach the
Airflow log and the failure webhook.
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ingest.contract import PERIOD_FORMATS, PERIOD_PATTERN
from ingest.sources.numbers import NumberFormatError, parse_numbers

DEFAULT_SEX_MAP = {
    "män": "M", "man": "M", "1": "M", "m": "M",
    "kvinnor": "K", "kvinna": "K", "2": "K", "k": "K",
    "totalt": "T", "samtliga": "T", "båda könen": "T", "1+2": "T", "totsa": "T", "t": "T", "total": "T",
    "men": "M", "women": "K",
}
MAPPING_SUFFIXES = (".mapping.yaml", ".mapping.yml", ".mapping.json")
_PLAIN = re.compile(r"^[\w .,%()/+\-–…]*$")
_ROW = "__row"


class FileDropError(ValueError):
    """The mapping or the dropped file does not fit; the message names the file and the fix."""


def excerpt(value: Any, limit: int = 32) -> str:
    """How file content may appear in a message: short plain text (letters, digits, spaces, . , % ( ) / + -) as
    is; anything longer or with other characters as its first four characters and its length."""
    text = " ".join(str(value).split()) if value is not None else ""
    if len(text) <= limit and _PLAIN.match(text):
        return repr(text)
    return f"{text[:4]!r}… ({len(text)} characters, redacted)"


def is_mapping_name(name: str) -> bool:
    return name.lower().endswith(MAPPING_SUFFIXES) and not Path(name).name.startswith(".")


def parse_mapping(data: bytes, name: str) -> dict[str, Any]:
    try:
        text = data.decode("utf-8-sig")
        if name.lower().endswith(".json"):
            doc = json.loads(text)
        else:
            import yaml

            doc = yaml.safe_load(text)
    except Exception as exc:  # noqa: BLE001 - YAML and JSON errors quote the text; name the kind only
        raise FileDropError(f"{name}: not valid {'JSON' if name.lower().endswith('.json') else 'YAML'} "
                            f"({type(exc).__name__}); see the mapping format in ingest/sources/files.py") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("file"), str):
        raise FileDropError(f"{name}: a mapping must be an object with at least 'file' (the export's name)")
    return doc


def _decode(raw: bytes, encoding: str | None, name: str) -> str:
    for enc in [encoding] if encoding else ["utf-8-sig", "cp1252"]:
        try:
            return raw.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    raise FileDropError(f"{name}: cannot decode as {encoding or 'utf-8 or cp1252'}; set 'encoding' in the mapping")


def read_table(data: bytes, mapping: dict, name: str) -> pd.DataFrame:
    fmt = (mapping.get("format") or Path(name).suffix.lstrip(".")).lower()
    skip = int(mapping.get("skip_rows", 0))
    try:
        if fmt in ("xlsx", "xls"):
            return pd.read_excel(io.BytesIO(data), sheet_name=mapping.get("sheet", 0), skiprows=skip, dtype=str)
        lines = _decode(data, mapping.get("encoding"), name).splitlines()[skip:]
        delimiter = mapping.get("delimiter")
        if not delimiter:
            try:
                delimiter = csv.Sniffer().sniff(lines[0] if lines else ",", delimiters=",;\t").delimiter
            except csv.Error:
                delimiter = ","
        return pd.read_csv(io.StringIO("\n".join(lines)), sep=delimiter, dtype=str, keep_default_na=False)
    except FileDropError:
        raise
    except Exception as exc:  # noqa: BLE001 - parser messages quote the file; name the kind of failure only
        raise FileDropError(f"{name}: cannot be read as {fmt} ({type(exc).__name__}); check format, sheet, "
                            "skip_rows, delimiter and encoding in the mapping") from None


def _rows(df: pd.DataFrame, mask: pd.Series) -> str:
    rows = sorted(set(df.loc[mask, _ROW].tolist()))
    return ", ".join(map(str, rows[:6])) + (f" and {len(rows) - 6} more" if len(rows) > 6 else "")


def _melt_periods(df: pd.DataFrame, mapping: dict, cols: dict, name: str) -> pd.DataFrame:
    pattern = re.compile(mapping.get("period_pattern", r"^\d{4}(M\d{2})?$"))
    periods = [c for c in df.columns if pattern.match(str(c).strip())]
    if not periods:
        raise FileDropError(f"{name}: wide_periods set but no column header matches {pattern.pattern}")
    ids = [c for c in df.columns if c not in periods]
    cols["period"], cols["value"] = "__period", "__value"
    return df.melt(id_vars=ids, value_vars=periods, var_name="__period", value_name="__value")


def _area(df: pd.DataFrame, mapping: dict, cols: dict, name: str) -> pd.Series:
    if "area" in cols:
        area = df[cols["area"]].astype(str).str.strip()
        extracted = area.str.extract(mapping.get("area_pattern", r"^(\d{2,4})\b"), expand=False)
        return extracted.where(extracted.notna(), area)
    if "area" in mapping:
        return pd.Series(str(mapping["area"]), index=df.index)
    raise FileDropError(f"{name}: mapping needs columns.area or a constant 'area'")


def _sex(df: pd.DataFrame, mapping: dict, cols: dict, name: str) -> pd.Series:
    if "sex" not in cols:
        return pd.Series(str(mapping.get("sex", "T")), index=df.index)
    smap = {**DEFAULT_SEX_MAP, **{str(k).lower(): v for k, v in (mapping.get("sex_map") or {}).items()}}
    raw_sex = df[cols["sex"]].astype(str).str.strip()
    sex = raw_sex.str.lower().map(smap)
    if sex.isna().any():
        labels = ", ".join(excerpt(v) for v in sorted(raw_sex[sex.isna()].unique())[:5])
        raise FileDropError(f"{name}: unknown sex labels {labels} (rows {_rows(df, sex.isna())}); add them to "
                            "sex_map in the mapping")
    return sex


def _period(df: pd.DataFrame, cols: dict, name: str) -> pd.Series:
    period = df[cols["period"]].astype(str).str.strip()
    bad = ~period.str.match(PERIOD_PATTERN)
    if bad.any():
        shown = ", ".join(excerpt(v) for v in period[bad].unique()[:3])
        raise FileDropError(f"{name}: periods {shown} (rows {_rows(df, bad)}) are not {PERIOD_FORMATS}; fix the "
                            "file or its period columns")
    return period


def _check_duplicates(frame: pd.DataFrame, df: pd.DataFrame, name: str) -> None:
    """The same area/period/sex/dims twice with different values: the file contradicts itself."""
    keys = ["area_code", "period", "sex", "dims"]
    seen = frame.assign(**{_ROW: df[_ROW].to_numpy()}).fillna({"status": ""})
    distinct = seen.groupby(keys, dropna=False)[["value", "status"]].nunique(dropna=False).sum(axis=1)
    clash = distinct[distinct > 2].index
    if len(clash):
        key = clash[0]
        rows = seen.set_index(keys).loc[[key], _ROW].tolist()
        raise FileDropError(f"{name}: rows {', '.join(map(str, sorted(rows)[:6]))} give area {excerpt(key[0])}, "
                            f"period {key[1]}, sex {key[2]} different values ({len(clash)} such key(s) in all); "
                            "keep one value per key")


def normalize(df: pd.DataFrame, mapping: dict, source_ref: str, name: str) -> pd.DataFrame:
    """The table as observation rows. Raises FileDropError naming the column and rows of any problem."""
    cols = dict(mapping.get("columns") or {})
    for key, col in cols.items():
        if col not in df.columns:
            names = ", ".join(excerpt(c) for c in list(df.columns)[:12])
            raise FileDropError(f"{name}: mapped column {key}={col!r} not in the file (its columns: {names})")
    dims = list(mapping.get("dims") or [])
    missing = [d for d in dims if d not in df.columns]
    if missing:
        raise FileDropError(f"{name}: dims columns {missing} not in the file")
    # spreadsheet row numbers (the header is row skip_rows + 1) for messages
    df = df.assign(**{_ROW: np.arange(len(df)) + int(mapping.get("skip_rows", 0)) + 2})
    if mapping.get("wide_periods"):
        df = _melt_periods(df, mapping, cols, name)
    for key in ("period", "value"):
        if key not in cols:
            raise FileDropError(f"{name}: mapping needs columns.{key} (or wide_periods: true)")
    area, sex, period = _area(df, mapping, cols, name), _sex(df, mapping, cols, name), _period(df, cols, name)
    try:
        values, status = parse_numbers(df[cols["value"]], decimal=mapping.get("decimal"),
                                       thousands=mapping.get("thousands"), show=excerpt)
    except NumberFormatError as exc:
        raise FileDropError(f"{name}: column {cols['value']!r}: {exc}") from None
    if dims:
        from ingest.sources.jsonstat import dims_json

        dims_col = dims_json(df, dims)
    else:
        dims_col = np.full(len(df), "{}", dtype=object)
    frame = pd.DataFrame({
        "source": "file", "source_ref": source_ref, "area_code": area.astype(object).to_numpy(),
        "period": period.to_numpy(), "sex": sex.to_numpy(), "value": values, "status": status.to_numpy(),
        "dims": dims_col, "is_deleted": False,
    })
    _check_duplicates(frame, df, name)
    return frame
