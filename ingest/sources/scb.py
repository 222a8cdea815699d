"""SCB Statistikdatabasen (PxWeb) clients — PxWebApi 2.0 first, v1 kept — and the json-stat2 normaliser.

v2: `GET /config` (limits, read at run time), `GET /tables/{id}/metadata`, `GET /codelists/{id}`,
    `POST /tables/{id}/data?lang=sv&outputFormat=json-stat2` with `{"selection":[{"variableCode","valueCodes"
    [,"codelist"]}]}`.
v1: `GET <base>/START/<path>` (metadata), `POST` same URL with `{"query":[…],"response":{"format":"json-stat2"}}`.

Queries are split so every call asks for ≤ maxDataCells cells (by time first, then region); a 403 (SCB's
"too many cells") splits the query in half and retries; 400 is never retried. Every variable that cannot be
eliminated gets an explicit selection. Sex codes `1`→M, `2`→K, `1+2`/`TotSa`→T; region codes stay as given.
"""
from __future__ import annotations

import fnmatch
import hashlib
import itertools
import json
import logging
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, urlsplit

import numpy as np
import pandas as pd
import pyarrow as pa

from ingest.catalog import LABEL_PREFIX, ScbTable
from ingest.http import ClientError, Fetched, HttpClient, HttpError, SchemaDrift
from ingest.sources import jsonstat, rows_to_frame

log = logging.getLogger(__name__)

SEX_MAP = {"1": "M", "2": "K", "1+2": "T", "TotSa": "T", "T": "T", "K": "K", "M": "M"}
# The variable that holds the area code. YH tables (UF0701) call it RegionUtb: the county where the
# education is given.
REGION_VARS = ("Region", "RegionUtb")
SEX_VARS = ("Kon",)
CONTENTS = "ContentsCode"
V2_DEFAULTS = {"maxDataCells": 150000, "maxCallsPerTimeWindow": 30, "timeWindow": 10}   # 2026-09 doc values
V1_DEFAULTS = {"maxValues": 100000, "maxCalls": 10, "timeWindow": 10}                  # scb.se (most conservative)


class CellLimitError(HttpError):
    """A query cannot be split below the cell limit (or SCB keeps answering 403)."""


class SelectionError(ValueError):
    """The catalog selection does not fit the table's metadata (unknown variable/code, missing mandatory variable)."""


# ------------------------------------------------------------------------------------------------ metadata
@dataclass
class Variable:
    code: str
    values: list[str]
    elimination: bool = False
    elimination_value: str | None = None
    time: bool = False
    codelists: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # value texts, same order as values ([] if not given)


@dataclass
class TableMeta:
    api: str
    table: str
    title: str
    variables: list[Variable]
    notes: list[str] = field(default_factory=list)

    def var(self, code: str) -> Variable | None:
        return next((v for v in self.variables if v.code == code), None)

    @property
    def time_var(self) -> Variable | None:
        return next((v for v in self.variables if v.time), None)

    @property
    def last_period(self) -> str | None:
        t = self.time_var
        return max(t.values) if t and t.values else None


def parse_v2_metadata(doc: dict, table: str, url: str = "") -> TableMeta:
    cube_ids = doc.get("id")
    dims = doc.get("dimension")
    if not isinstance(cube_ids, list) or not isinstance(dims, dict):
        raise SchemaDrift(f"SCB v2 {url}: metadata lacks 'id'/'dimension' (json-stat2 expected)", url=url)
    time_ids = set(((doc.get("role") or {}).get("time")) or [])
    out = []
    for code in cube_ids:
        dim = dims.get(code)
        if dim is None:
            raise SchemaDrift(f"SCB v2 {url}: dimension {code!r} listed in 'id' but missing in 'dimension'", url=url)
        ext = dim.get("extension") or {}
        codes = jsonstat._category_codes(dim, code, url)
        texts = (dim.get("category") or {}).get("label") or {}
        out.append(Variable(code=code, values=codes, elimination=bool(ext.get("elimination", False)),
                            elimination_value=ext.get("eliminationValueCode"), time=code in time_ids,
                            codelists=[c.get("id") for c in ext.get("codelists") or [] if c.get("id")],
                            labels=[str(texts.get(c, "")) for c in codes]))
    return TableMeta("v2", table, str(doc.get("label", "")), out, jsonstat.mandatory_notes(doc))


def parse_v1_metadata(doc: dict, table: str, url: str = "") -> TableMeta:
    variables = doc.get("variables") if isinstance(doc, dict) else None
    if not isinstance(variables, list):
        raise SchemaDrift(f"SCB v1 {url}: metadata lacks 'variables' (GET of a table path expected)", url=url)
    out = []
    for i, v in enumerate(variables):
        for key in ("code", "values"):
            if key not in v:
                raise SchemaDrift(f"SCB v1 {url}: field {key!r} missing in variables[{i}]", url=url)
        texts = v.get("valueTexts") or []
        out.append(Variable(code=v["code"], values=[str(x) for x in v["values"]],
                            elimination=bool(v.get("elimination", False)), time=bool(v.get("time", False)),
                            labels=[str(t) for t in texts] if len(texts) == len(v["values"]) else []))
    return TableMeta("v1", table, str(doc.get("title", "")), out)


# ------------------------------------------------------------------------------------------------ selection
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


def restrict_time_after(sels: list[VarSel], meta: TableMeta, after: str | None) -> list[VarSel]:
    """Drop time codes ≤ `after` (the predecessor's last period) so a successor continues a series."""
    t = meta.time_var
    if after is None or t is None:
        return sels
    out = []
    for s in sels:
        if s.code == t.code and s.explicit:
            keep = tuple(c for c in s.values if c > after)
            s = replace(s, values=keep, count=len(keep))
        out.append(s)
    return out


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
class ScbV2Client:
    api = "v2"

    def __init__(self, http: HttpClient, base_url: str, lang: str = "sv", on_response=None):
        self.http, self.base, self.lang, self.on_response = http, base_url.rstrip("/"), lang, on_response

    def _land(self, fetched: Fetched, dataset: str) -> Fetched:
        if self.on_response:
            self.on_response(fetched, dataset)
        return fetched

    def config(self) -> dict:
        f = self._land(self.http.get(f"{self.base}/config"), "config")
        doc = f.json()
        for key in ("maxDataCells", "maxCallsPerTimeWindow", "timeWindow"):
            if key not in doc:
                raise SchemaDrift(f"SCB v2 {f.url}: field {key!r} missing in /config", url=f.url)
        return doc

    def metadata(self, table: str) -> tuple[TableMeta, Fetched]:
        f = self._land(self.http.get(f"{self.base}/tables/{quote(table)}/metadata", params={"lang": self.lang}),
                       table)
        return parse_v2_metadata(f.json(), table, f.url), f

    def codelist_size(self, codelist: str) -> int | None:
        try:
            f = self.http.get(f"{self.base}/codelists/{quote(codelist)}", params={"lang": self.lang})
        except HttpError as exc:
            log.info("codelist %s not available (%s); using the variable size as upper bound", codelist, exc)
            return None
        self._land(f, "codelists")
        values = f.json().get("values")
        return len(values) if isinstance(values, list) else None

    def data(self, table: str, sels: list[VarSel]) -> Fetched:
        return self.http.post_json(f"{self.base}/tables/{quote(table)}/data", v2_body(sels),
                                   params={"lang": self.lang, "outputFormat": "json-stat2"})

    def limits(self, cfg: dict) -> tuple[int, float]:
        return int(cfg["maxDataCells"]), float(cfg["timeWindow"]) / max(int(cfg["maxCallsPerTimeWindow"]), 1)


class ScbV1Client:
    api = "v1"

    def __init__(self, http: HttpClient, base_url: str, on_response=None):
        self.http, self.base, self.on_response = http, base_url.rstrip("/"), on_response

    def url(self, table: str) -> str:
        path = table.strip("/")
        if not path.startswith("START/"):
            path = "START/" + path
        return f"{self.base}/{quote(path)}"

    def metadata(self, table: str) -> tuple[TableMeta, Fetched]:
        f = self.http.get(self.url(table))
        if self.on_response:
            self.on_response(f, table.split("/")[-1])
        return parse_v1_metadata(f.json(), table, f.url), f

    def data(self, table: str, sels: list[VarSel]) -> Fetched:
        return self.http.post_json(self.url(table), v1_body(sels))

    def limits(self, cfg: dict | None = None) -> tuple[int, float]:
        cfg = cfg or V1_DEFAULTS
        return int(cfg["maxValues"]), float(cfg["timeWindow"]) / max(int(cfg["maxCalls"]), 1)


def fetch_chunk(client, table: str, sels: list[VarSel], order: list[str], depth: int = 0,
                max_depth: int = 12) -> list[Fetched]:
    """POST one chunk; on 403 (cell limit) split it in half and fetch both halves. 400 is raised at once."""
    try:
        return [client.data(table, sels)]
    except ClientError as exc:
        if exc.status != 403:
            raise
        halves = halve(sels, order) if depth < max_depth else None
        if not halves:
            raise CellLimitError(f"{table}: SCB answered 403 (too many cells) and the query cannot be split "
                                 f"further ({cells(sels)} cells); narrow scb_selection", url=exc.url,
                                 status=403) from exc
        log.warning("%s: 403 for %d cells, splitting in two and retrying", table, cells(sels))
        return [f for h in halves for f in fetch_chunk(client, table, h, order, depth + 1, max_depth)]


# ------------------------------------------------------------------------------------------------ normalise
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


def normalize_cube(cube: jsonstat.Cube, table_name: str, contents_code: str | None = None,
                   url: str = "") -> pd.DataFrame:
    """`normalize_cube_arrow` as a pandas DataFrame (CLI, tests)."""
    return rows_to_frame(normalize_cube_arrow(cube, table_name, contents_code, url))


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


def host_of(url: str) -> str:
    return urlsplit(url).netloc
