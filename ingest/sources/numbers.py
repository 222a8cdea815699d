"""Numbers in exported files: one column, one convention, never a guess.

A column's convention is its decimal separator ("." or ",") and its thousands separator ("," / "." / none;
spaces, also no-break spaces, are always thousands separators and are removed first). The mapping may declare
either (`decimal:`, `thousands:`); what it leaves open is detected from the column itself: every convention
that reads every cell is a candidate, and the column is read only when all candidates give the same numbers.

    "1,5" and "2"        -> decimal comma: 1.5, 2
    "1.250,5" and "3"    -> 1250.5, 3
    "1,250" alone        -> error: 1.25 or 1250?   (declare decimal/thousands in the mapping)
    "980.25" and "1,5"   -> error: two conventions in one column
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

STATUS_SYMBOLS = {"..", ".", "-", "…", "x", "X"}
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_MINUS = ("\u2212", "\u2013")  # a typographic minus or en dash before the digits


class NumberFormatError(ValueError):
    """A value column that cannot be read as numbers unambiguously; the message says which cells and why."""


@dataclass(frozen=True)
class Convention:
    decimal: str
    thousands: str  # "" = none

    def pattern(self) -> re.Pattern:
        d = re.escape(self.decimal)
        whole = rf"\d{{1,3}}(?:{re.escape(self.thousands)}\d{{3}})+|\d+" if self.thousands else r"\d+"
        return re.compile(rf"^-?(?:{whole})(?:{d}\d+)?$")

    def describe(self) -> str:
        return f"decimal {self.decimal!r}, thousands " + (repr(self.thousands) if self.thousands else "none")


CONVENTIONS = (Convention(".", ""), Convention(".", ","), Convention(",", ""), Convention(",", "."))


def _clean(values: pd.Series) -> pd.Series:
    s = values.fillna("").astype(str).str.replace(_SPACES, "", regex=True)
    for minus in _MINUS:
        s = s.str.replace(minus, "-", regex=False)
    return s


def _convert(cells: pd.Series, conv: Convention) -> pd.Series:
    text = cells.str.replace(conv.thousands, "", regex=False) if conv.thousands else cells
    return pd.to_numeric(text.str.replace(conv.decimal, ".", regex=False), errors="raise")


def parse_numbers(values: pd.Series, *, decimal: str | None = None, thousands: str | None = None,
                  show=repr) -> tuple[np.ndarray, pd.Series]:
    """(float values, status) for one value column. Status symbols ('..', '-', …) and empty cells become null
    values, the symbol kept as status. Raises NumberFormatError naming example cells (through `show`, which
    shortens or redacts file content for messages)."""
    if decimal not in (None, ".", ","):
        raise NumberFormatError(f"decimal must be \".\" or \",\", got {decimal!r}")
    if thousands not in (None, "", " ", ".", ","):
        raise NumberFormatError(f"thousands must be \" \", \".\", \",\" or \"\" (none), got {thousands!r}")
    s = _clean(values)
    is_symbol = s.isin(STATUS_SYMBOLS)
    status = s.where(is_symbol, None).astype(object)
    cells = s[~is_symbol & (s != "")]
    thousands = "" if thousands == " " else thousands
    candidates = [c for c in CONVENTIONS if (decimal is None or c.decimal == decimal)
                  and (thousands is None or c.thousands == thousands)]
    readable = [c for c in candidates if cells.str.match(c.pattern()).all()]
    if not readable:
        raise NumberFormatError(_unreadable(cells, candidates, show))
    readings = [_convert(cells, c) for c in readable]
    for other, conv in zip(readings[1:], readable[1:], strict=True):
        differs = readings[0] != other
        if differs.any():
            cell = cells[differs].iloc[0]
            raise NumberFormatError(
                f"{show(cell)} reads as {readings[0][differs].iloc[0]:g} ({readable[0].describe()}) or as "
                f"{other[differs].iloc[0]:g} ({conv.describe()}); declare `decimal:` and `thousands:` in the "
                "mapping")
    nums = pd.Series(np.nan, index=s.index, dtype="float64")
    nums[cells.index] = readings[0].astype("float64")
    return nums.to_numpy(dtype="float64"), status


def _unreadable(cells: pd.Series, candidates: list[Convention], show) -> str:
    """Why no convention reads the column: cells that are not numbers at all, or two conventions mixed."""
    any_number = pd.Series(False, index=cells.index)
    for c in candidates:
        any_number |= cells.str.match(c.pattern())
    if not any_number.all():
        bad = [show(v) for v in cells[~any_number].unique()[:3]]
        return (f"non-numeric entries, e.g. {', '.join(bad)}; check the columns mapping (status symbols "
                f"{sorted(STATUS_SYMBOLS)} and empty cells are read as missing)")
    examples: list[str] = []
    for c in candidates:
        misses = cells[~cells.str.match(c.pattern())]
        if len(misses) and misses.iloc[0] not in examples:
            examples.append(misses.iloc[0])
    shown = " and ".join(show(v) for v in examples[:2])
    return (f"mixes number formats ({shown} cannot both be read with one decimal separator); fix the export or "
            "declare `decimal:` and `thousands:` in the mapping")
