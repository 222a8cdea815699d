"""File-drop source: an analyst drops an export (SCB CSV, FK xlsx …) into `data/landing/` together with a small
mapping file (YAML or JSON) and it is ingested like any other batch (source = 'file').

Mapping keys (YAML/JSON):

    file: folkmangd_2023.csv          # the export, relative to the mapping file
    indicator_id: vab_fk_open_data    # catalog row → source_ref (or give source_ref: … directly)
    format: csv | xlsx                # default from the extension
    encoding: iso-8859-1              # default: utf-8 (BOM tolerated), then cp1252
    delimiter: ","                    # default: sniffed
    skip_rows: 0                      # header lines before the table
    sheet: 0                          # xlsx only
    columns: {area: region, sex: kön, period: år, value: Värde}
    wide_periods: true                # period columns (headers like 2020 or 2026M01) instead of period/value
    period_pattern: '^\\d{4}(M\\d{2})?$'
    area_pattern: '^(\\d{2,4})'       # extracts the code from "0180 Stockholm"
    sex_map: {män: M, kvinnor: K, totalt: T}   # merged over the defaults
    sex: T                            # constant sex when there is no sex column
    area: '00'                        # constant area when there is no area column
    dims: [ålder]                     # extra columns kept in dims JSON
    decimal: ","                      # decimal separator (default: auto)

Status symbols ('..', '.', '-', '') become value null with the symbol kept in `status`.
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

DEFAULT_SEX_MAP = {
    "män": "M", "man": "M", "1": "M", "m": "M",
    "kvinnor": "K", "kvinna": "K", "2": "K", "k": "K",
    "totalt": "T", "samtliga": "T", "båda könen": "T", "1+2": "T", "totsa": "T", "t": "T", "total": "T",
    "men": "M", "women": "K",
}
STATUS_SYMBOLS = {"..", ".", "-", "…", "x", "X"}


class FileDropError(ValueError):
    """The mapping or the dropped file does not fit; the message names the file and the fix."""


def load_mapping(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        doc = json.loads(text)
    else:
        import yaml

        doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or "file" not in doc:
        raise FileDropError(f"{path}: mapping must be an object with at least 'file'")
    return doc


def _decode(raw: bytes, encoding: str | None, name: str) -> str:
    if encoding:
        return raw.decode(encoding)
    for enc in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise FileDropError(f"{name}: cannot decode; set 'encoding' in the mapping")


def read_table(data: bytes, mapping: dict, name: str) -> pd.DataFrame:
    fmt = (mapping.get("format") or Path(name).suffix.lstrip(".")).lower()
    skip = int(mapping.get("skip_rows", 0))
    if fmt in ("xlsx", "xls"):
        try:
            return pd.read_excel(io.BytesIO(data), sheet_name=mapping.get("sheet", 0), skiprows=skip, dtype=str)
        except ImportError as exc:
            raise FileDropError(f"{name}: reading xlsx needs openpyxl, which is not in requirements.lock; "
                                "save the sheet as CSV or add openpyxl") from exc
    text = _decode(data, mapping.get("encoding"), name)
    lines = text.splitlines()[skip:]
    body = "\n".join(lines)
    delimiter = mapping.get("delimiter")
    if not delimiter:
        try:
            delimiter = csv.Sniffer().sniff(lines[0] if lines else ",", delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
    return pd.read_csv(io.StringIO(body), sep=delimiter, dtype=str, keep_default_na=False)


def _numbers(values: pd.Series, decimal: str | None) -> tuple[np.ndarray, pd.Series]:
    # An empty spreadsheet cell arrives as NaN/None: it is an empty value (null), not a non-numeric one.
    s = values.fillna("").astype(str).str.strip().str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    status = s.where(s.isin(STATUS_SYMBOLS) | (s == ""), None)
    status = status.where(status != "", None)
    if decimal == "," or (decimal is None and s.str.contains(r"^-?\d+,\d+$", regex=True).any()):
        s = s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    nums = pd.to_numeric(s.where(~s.isin(STATUS_SYMBOLS) & (s != "")), errors="coerce")
    bad = s[nums.isna() & ~s.isin(STATUS_SYMBOLS) & (s != "")]
    if len(bad):
        raise FileDropError(f"value column has non-numeric entries, e.g. {bad.unique()[:5].tolist()}; set "
                            "'decimal' or check the columns mapping")
    return nums.to_numpy(dtype="float64"), status.astype(object)


def normalize(df: pd.DataFrame, mapping: dict, source_ref: str, name: str) -> pd.DataFrame:
    cols = dict(mapping.get("columns") or {})
    for key, col in cols.items():
        if col not in df.columns:
            raise FileDropError(f"{name}: mapped column {key}={col!r} not in the file (has {list(df.columns)})")
    dims = list(mapping.get("dims") or [])
    if mapping.get("wide_periods"):
        pattern = re.compile(mapping.get("period_pattern", r"^\d{4}(M\d{2})?$"))
        periods = [c for c in df.columns if pattern.match(str(c).strip())]
        if not periods:
            raise FileDropError(f"{name}: wide_periods set but no column header matches {pattern.pattern}")
        ids = [c for c in df.columns if c not in periods]
        df = df.melt(id_vars=ids, value_vars=periods, var_name="__period", value_name="__value")
        cols["period"], cols["value"] = "__period", "__value"
    for key in ("period", "value"):
        if key not in cols:
            raise FileDropError(f"{name}: mapping needs columns.{key} (or wide_periods: true)")
    n = len(df)
    if "area" in cols:
        area = df[cols["area"]].astype(str).str.strip()
        pat = mapping.get("area_pattern", r"^(\d{2,4})\b")
        extracted = area.str.extract(pat, expand=False)
        area = extracted.where(extracted.notna(), area)
    elif "area" in mapping:
        area = pd.Series(str(mapping["area"]), index=df.index)
    else:
        raise FileDropError(f"{name}: mapping needs columns.area or a constant 'area'")
    if "sex" in cols:
        smap = {**DEFAULT_SEX_MAP, **{str(k).lower(): v for k, v in (mapping.get("sex_map") or {}).items()}}
        raw_sex = df[cols["sex"]].astype(str).str.strip()
        sex = raw_sex.str.lower().map(smap)
        if sex.isna().any():
            raise FileDropError(f"{name}: unknown sex labels {sorted(raw_sex[sex.isna()].unique())[:5]}; add them "
                                "to sex_map in the mapping")
    else:
        sex = pd.Series(str(mapping.get("sex", "T")), index=df.index)
    values, status = _numbers(df[cols["value"]], mapping.get("decimal"))
    if dims:
        missing = [d for d in dims if d not in df.columns]
        if missing:
            raise FileDropError(f"{name}: dims columns {missing} not in the file")
        from ingest.sources.jsonstat import dims_json

        dims_col = dims_json(df, dims)
    else:
        dims_col = np.full(n, "{}", dtype=object)
    return pd.DataFrame({
        "source": "file", "source_ref": source_ref, "area_code": area.astype(object).to_numpy(),
        "period": df[cols["period"]].astype(str).str.strip().to_numpy(), "sex": sex.to_numpy(),
        "value": values, "status": status.to_numpy(), "dims": dims_col, "is_deleted": False,
    })
