"""What to ask SCB for: the catalog's selection expressions resolved against a table's metadata, and
queries split so every call stays under the cell limit."""
from __future__ import annotations

import fnmatch
import hashlib
import json
import math
import re
from dataclasses import dataclass, replace
from typing import Any

from ingest.catalog import LABEL_PREFIX, ScbTable
from ingest.sources.scb.metadata import CONTENTS, REGION_VARS, CellLimitError, SelectionError, TableMeta


@dataclass(frozen=True)
class VarSel:
    code: str
    values: tuple[str, ...]
    count: int                     # number of cells this variable contributes
    explicit: bool = True          # values are concrete codes (splittable)
    codelist: str | None = None    # v2
    filter: str | None = None      # v1 ('item', 'vs:…', 'agg:…', 'all', 'top')


_FUNC = re.compile(r"^(top|bottom|from|to|range)\((.*)\)$", re.IGNORECASE)


def _norm_text(text: str) -> str:
    return " ".join(text.split()).casefold()


def match_labels(pattern: str, codes: list[str], labels: list[str], where: str) -> list[str]:
    """Codes whose value text matches a `label:` pattern (fnmatch, case- and whitespace-insensitive).

    For tables whose codes no public source shows but whose labels do (Region Dalarna resolves codes the
    same way, by klartext): the code is read from the live metadata, and a label that matches nothing fails
    loudly, naming the labels the table has."""
    if not labels:
        raise SelectionError(f"{where}: {LABEL_PREFIX + pattern!r} needs value texts, but the metadata has none")
    want = _norm_text(pattern)
    hits = [c for c, t in zip(codes, labels, strict=True) if fnmatch.fnmatchcase(_norm_text(t), want)]
    if not hits:
        raise SelectionError(f"{where}: no value text matches {LABEL_PREFIX + pattern!r} "
                             f"(texts e.g. {labels[:8]}); check the catalog's label against the table")
    return hits


def expand(expr: str, codes: list[str], where: str, labels: list[str] | None = None) -> list[str]:
    """Resolve one PxWeb selection expression against the variable's codes (order kept)."""
    if expr.startswith(LABEL_PREFIX):
        return match_labels(expr[len(LABEL_PREFIX):], codes, labels or [], where)
    m = _FUNC.match(expr.strip())
    if m:
        fn, args = m.group(1).lower(), [a.strip() for a in m.group(2).split(",")]
        try:
            if fn == "top":
                return codes[-int(args[0]):] if int(args[0]) > 0 else []
            if fn == "bottom":
                return codes[:int(args[0])]
            if fn == "from":
                return codes[codes.index(args[0]):]
            if fn == "to":
                return codes[:codes.index(args[0]) + 1]
            a, b = codes.index(args[0]), codes.index(args[1])
            return codes[a:b + 1]
        except (ValueError, IndexError) as exc:
            raise SelectionError(f"{where}: cannot resolve {expr!r} against the table's codes ({exc})") from exc
    if expr == "*":
        return list(codes)
    if any(ch in expr for ch in "*?"):
        return [c for c in codes if fnmatch.fnmatchcase(c, expr)]
    if expr not in codes:
        raise SelectionError(f"{where}: code {expr!r} is not in the table (has {len(codes)} codes, e.g. {codes[:6]})")
    return [expr]


def _expand_all(exprs: list[str], codes: list[str], where: str, labels: list[str] | None = None) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for e in exprs:
        for c in expand(str(e), codes, where, labels):
            out.setdefault(c, None)   # dedupe: SCB answers 500 to a duplicated value code
    # keep the table's order for codes selected by expressions, spec order otherwise
    return tuple(out)


def resolve_selection(meta: TableMeta, spec: ScbTable, codelist_size=None) -> list[VarSel]:
    """Explicit selection for every variable of the table (metadata order); eliminable unnamed ones omitted."""
    sel = dict(spec.selection)
    unknown = [k for k in sel if meta.var(k) is None]
    if unknown:
        raise SelectionError(f"{meta.table}: selection names variable(s) {unknown} that the table does not have "
                             f"(has {[v.code for v in meta.variables]})")
    out: list[VarSel] = []
    for v in meta.variables:
        where = f"{meta.table}.{v.code}"
        if v.code == CONTENTS:
            codes: list[str] = []
            for want in spec.contents_codes:
                if want.startswith(LABEL_PREFIX):
                    hits = match_labels(want[len(LABEL_PREFIX):], v.values, v.labels, where)
                    if len(hits) > 1:  # one catalog entry = one series; an ambiguous label would mix measures
                        raise SelectionError(f"{where}: {want!r} matches {len(hits)} ContentsCodes {hits}; "
                                             "make the label pattern specific")
                    want = hits[0]
                elif want not in v.values:
                    raise SelectionError(f"{where}: ContentsCode {want!r} not in table (has {v.values[:10]}); "
                                         "check scb_contents_code in the catalog")
                codes.append(want)
            if not codes:
                raise SelectionError(f"{where}: no ContentsCode given; fill scb_contents_code in the catalog")
            out.append(VarSel(v.code, tuple(dict.fromkeys(codes)), len(set(codes))))
            continue
        entry = sel.get(v.code)
        if entry is None:
            if v.elimination:
                continue
            if v.time:
                out.append(VarSel(v.code, tuple(v.values), len(v.values)))
                continue
            raise SelectionError(f"{where}: variable cannot be eliminated and has no selection; add "
                                 f"\"{v.code}\" to scb_selection (codes e.g. {v.values[:6]})")
        if isinstance(entry, (str, list)):
            exprs = [entry] if isinstance(entry, str) else list(entry)
            vals = _expand_all(exprs, v.values, where, v.labels)
            if not vals:
                raise SelectionError(f"{where}: selection {exprs} matches no code")
            out.append(VarSel(v.code, vals, len(vals)))
        elif isinstance(entry, dict) and "codelist" in entry:
            codes = [str(c) for c in entry.get("valueCodes") or []]
            wild = any(any(ch in c for ch in "*?(") for c in codes)
            count = len(codes)
            if wild:
                size = codelist_size(entry["codelist"]) if codelist_size else None
                count = size if size else len(v.values)  # unknown: the variable's size is the upper bound
            out.append(VarSel(v.code, tuple(dict.fromkeys(codes)), max(count, 1), explicit=not wild,
                              codelist=entry["codelist"]))
        elif isinstance(entry, dict) and "filter" in entry:
            f, vals = str(entry["filter"]), [str(c) for c in entry.get("values") or []]
            if f == "item":
                vals2 = _expand_all(vals, v.values, where, v.labels)
                out.append(VarSel(v.code, vals2, len(vals2), filter="item"))
            else:
                count = int(vals[0]) if f == "top" and vals else len(v.values)  # vs:/agg:/all: upper bound
                out.append(VarSel(v.code, tuple(vals), max(count, 1), explicit=False, filter=f))
        else:
            raise SelectionError(f"{where}: unsupported selection {entry!r}")
    return out


def cells(sels: list[VarSel]) -> int:
    return math.prod(s.count for s in sels) if sels else 0


def restrict_time(sels: list[VarSel], meta: TableMeta, after: str | None, until: str | None = None) -> list[VarSel]:
    """Keep time codes > `after` (the predecessor's last period, so a successor continues a series) and
    <= `until` (a later table's definition wins from its first period)."""
    t = meta.time_var
    if (after is None and until is None) or t is None:
        return sels
    out = []
    for s in sels:
        if s.code == t.code and s.explicit:
            keep = tuple(c for c in s.values if (after is None or c > after) and (until is None or c <= until))
            s = replace(s, values=keep, count=len(keep))
        out.append(s)
    return out


def last_selected_period(sels: list[VarSel], meta: TableMeta) -> str | None:
    """The latest time code a query asks for (the table's last period when time is not given as codes)."""
    t = meta.time_var
    chosen = next((s for s in sels if t is not None and s.code == t.code), None)
    if chosen is not None and chosen.explicit:
        return max(chosen.values, default=None)
    return meta.last_period


def split_order(meta: TableMeta, sels: list[VarSel]) -> list[str]:
    t = meta.time_var
    order = ([t.code] if t else []) + [r for r in REGION_VARS if meta.var(r)]
    rest = sorted((s for s in sels if s.code not in order and s.code != CONTENTS), key=lambda s: -s.count)
    return order + [s.code for s in rest]


def split_selection(sels: list[VarSel], max_cells: int, order: list[str]) -> list[list[VarSel]]:
    """Chunks with ≤ max_cells each: split by time first, then region, then the largest other variable."""
    total = cells(sels)
    if total <= max_cells:
        return [sels]
    for name in order:
        i = next((k for k, s in enumerate(sels) if s.code == name), None)
        if i is None or not sels[i].explicit or len(sels[i].values) < 2:
            continue
        s = sels[i]
        rest = total // s.count
        per = max(1, max_cells // rest) if rest else len(s.values)
        out: list[list[VarSel]] = []
        for k in range(0, len(s.values), per):
            grp = s.values[k:k + per]
            out.extend(split_selection(sels[:i] + [replace(s, values=grp, count=len(grp))] + sels[i + 1:],
                                       max_cells, order))
        return out
    raise CellLimitError(f"query of {total} cells cannot be split below maxDataCells={max_cells} "
                         f"(no explicit variable left to split: {[s.code for s in sels]}); narrow scb_selection")


def halve(sels: list[VarSel], order: list[str]) -> list[list[VarSel]] | None:
    for name in order:
        i = next((k for k, s in enumerate(sels) if s.code == name), None)
        if i is None or not sels[i].explicit or len(sels[i].values) < 2:
            continue
        s = sels[i]
        mid = len(s.values) // 2
        return [sels[:i] + [replace(s, values=g, count=len(g))] + sels[i + 1:] for g in (s.values[:mid], s.values[mid:])]
    return None


def v2_body(sels: list[VarSel]) -> dict:
    out = []
    for s in sels:
        item: dict[str, Any] = {"variableCode": s.code, "valueCodes": list(s.values)}
        if s.codelist:
            item["codelist"] = s.codelist
        out.append(item)
    return {"selection": out}


def v1_body(sels: list[VarSel]) -> dict:
    return {"query": [{"code": s.code, "selection": {"filter": s.filter or "item", "values": list(s.values)}}
                      for s in sels], "response": {"format": "json-stat2"}}


def chunk_key(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]


# ------------------------------------------------------------------------------------------------ clients
