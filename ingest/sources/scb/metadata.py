"""SCB table metadata (v2 json-stat2 metadata, v1 variables list) parsed into one shape, and the source's
constants: sex codes, area variables, documented limits."""
from __future__ import annotations

from dataclasses import dataclass, field

from ingest.http import ClientError, HttpError, SchemaDrift
from ingest.sources import jsonstat

SEX_MAP = {"1": "M", "2": "K", "1+2": "T", "TotSa": "T", "T": "T", "K": "K", "M": "M",
           # TAB708 (förtroendevalda, ME0001) codes its sexes 010 samtliga, 020 män, 030 kvinnor
           "010": "T", "020": "M", "030": "K"}
# The variable that holds the area code. YH tables (UF0701) call it RegionUtb: the county where the
# education is given.
REGION_VARS = ("Region", "RegionUtb")
SEX_VARS = ("Kon",)
CONTENTS = "ContentsCode"
V2_DEFAULTS = {"maxDataCells": 150000, "maxCallsPerTimeWindow": 30, "timeWindow": 10}   # 2026-09 doc values
V1_DEFAULTS = {"maxValues": 100000, "maxCalls": 10, "timeWindow": 10}                  # scb.se (most conservative)


class CellLimitError(HttpError):
    """A query cannot be split below the cell limit (or SCB keeps answering that it has too many cells)."""


class TableNotOffered(ClientError):
    """PxWebApi 2 answered 403: the table exists but is not offered through the API (final, never split)."""


class SelectionError(ValueError):
    """The catalog selection does not fit the table's metadata (unknown variable/code, missing mandatory variable)."""


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
