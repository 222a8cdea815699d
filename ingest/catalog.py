"""Indicator catalog loader: `dbt_project/seeds/indicator_catalog.csv` → typed records and ingest plans.

The CSV is the single source of truth; nothing else in ingest names an indicator or KPI id. Kolada rows give
KPI ids (`source_ref`) and the expected live title (`kolada_title`); a Kolada row with a breakdown (paired KPIs
such as the foreign-born and the Swedish-born employment rate) names the KPI of each part and its live title in
`kolada_breakdown_titles` (the series map says which group each is). SCB rows are ingestible only where the
machine columns `scb_api`, `scb_table`, `scb_contents_code` (and optionally `scb_selection`,
`scb_successors`) are filled from evidence; the free-text `source_ref` is for people. A row of another source
(Kolada) may name an SCB table too: an alternative source of the same series, fetched as an SCB spec whose
values fill the keys the row's own source leaves empty.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

KOLADA_ID = re.compile(r"^[A-Z]\d{5}$")
LABEL_PREFIX = "label:"  # an SCB code given by its value text, resolved from the live metadata
LOOKUP_PREFIX = "lookup:"  # an SCB code no public source shows: what to look up live (`jamstat preflight` lists it)
REQUIRED_COLUMNS = ("indicator_id", "goal_id", "subgoal_id", "source", "source_ref", "unit", "measure_type",
                    "by_sex", "kolada_is_divided_by_gender", "kolada_title")


class CatalogError(ValueError):
    """The catalog CSV is malformed (missing column, duplicate id, bad JSON in an scb_* column)."""


@dataclass(frozen=True)
class Indicator:
    indicator_id: str
    goal_id: str
    subgoal_id: str
    source: str
    source_ref: str
    unit: str
    measure_type: str
    geography_levels: str
    by_sex: bool
    kolada_is_divided_by_gender: bool | None
    kolada_title: str
    name_sv: str
    period_granularity: str
    raw: dict[str, str] = field(repr=False, compare=False, default_factory=dict)

    def get(self, column: str) -> str:
        return self.raw.get(column, "") or ""


@dataclass(frozen=True)
class ScbTable:
    """One PxWeb table to fetch for a spec: API version, table id/path, ContentsCode, selection."""

    api: str                     # v1 | v2
    table: str                   # v2 'TAB6471' | v1 path 'HE/HE0110/HE0110A/SamForvInk1'
    contents_code: str           # one ContentsCode, or several ';'-separated (parts of a ratio: '0000089X;0000089Y');
                                 # 'label:<text pattern>' = the code whose value text matches, read from the
                                 # live metadata (for tables whose codes no public source shows)
    selection: dict[str, Any]    # variable -> [codes/expressions] | {"codelist"/"filter": …, "valueCodes"/"values": …}
    granularity: str = "year"
    evidence: str = ""
    until: str | None = None     # keep periods <= this one: a later table's definition wins from its first period

    @property
    def table_name(self) -> str:
        """The short table name used in source_ref: 'TAB6471' or the last v1 path segment 'SamForvInk1'."""
        return self.table.rstrip("/").split("/")[-1]

    @property
    def contents_codes(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.contents_code.split(";") if c.strip())

    @property
    def lookups(self) -> dict[str, str]:
        """{variable: what to look up} for the codes still to be looked up live ('ContentsCode' included)."""
        out = {}
        wanted = [c[len(LOOKUP_PREFIX):].strip() for c in self.contents_codes if c.startswith(LOOKUP_PREFIX)]
        if wanted:
            out["ContentsCode"] = "; ".join(wanted)
        for var, entry in self.selection.items():
            for code in ([entry] if isinstance(entry, str) else entry if isinstance(entry, list) else []):
                if str(code).startswith(LOOKUP_PREFIX):
                    out[var] = str(code)[len(LOOKUP_PREFIX):].strip()
        return out

    @property
    def source_refs(self) -> list[str]:
        """'<table>/<ContentsCode>' per code: the observation series this table lands. A code resolved by
        label at run time (or still to be looked up) is '<table>/*' here (dbt maps it table-wide; the batch
        manifest names the code)."""
        return [f"{self.table_name}/{'*' if c.startswith((LABEL_PREFIX, LOOKUP_PREFIX)) else c}"
                for c in self.contents_codes]


@dataclass(frozen=True)
class ScbSpec:
    spec_id: str                 # = indicator_id
    tables: tuple[ScbTable, ...] # the primary table first, then successors in order


def _bool(value: str) -> bool | None:
    v = (value or "").strip().lower()
    if v in ("true", "yes", "1"):
        return True
    if v in ("false", "no", "0"):
        return False
    return None


def default_catalog_path() -> Path:
    from jamstat.settings import Settings

    return Settings.from_env().catalog_path


def load_catalog(path: Path | str | None = None) -> list[Indicator]:
    path = Path(path) if path else default_catalog_path()
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError as exc:
        raise CatalogError(f"indicator catalog not found at {path}; set JAMSTAT_CATALOG") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise CatalogError(f"{path}: missing columns {missing}")
    dupes = df["indicator_id"][df["indicator_id"].duplicated()].tolist()
    if dupes:
        raise CatalogError(f"{path}: duplicate indicator_id {dupes}")
    out = []
    for rec in df.to_dict("records"):
        rec = {k: (v or "").strip() for k, v in rec.items()}
        out.append(Indicator(
            indicator_id=rec["indicator_id"], goal_id=rec["goal_id"], subgoal_id=rec["subgoal_id"],
            source=rec["source"], source_ref=rec["source_ref"], unit=rec["unit"],
            measure_type=rec["measure_type"], geography_levels=rec.get("geography_levels", ""),
            by_sex=_bool(rec["by_sex"]) is True,
            kolada_is_divided_by_gender=_bool(rec["kolada_is_divided_by_gender"]),
            kolada_title=rec["kolada_title"], name_sv=rec.get("indicator_name_sv", ""),
            period_granularity=rec.get("period_granularity", "") or "year", raw=rec,
        ))
    return out


# ------------------------------------------------------------------------------------------------- Kolada
def kolada_indicators(catalog: list[Indicator]) -> list[Indicator]:
    """Kolada rows, each followed by one entry per KPI of its breakdown (same indicator, that KPI and its title)."""
    out = []
    for ind in catalog:
        if ind.source == "kolada":
            out.append(ind)
            out.extend(kolada_breakdown_entries(ind))
    return out


def kolada_breakdown_entries(ind: Indicator) -> list[Indicator]:
    """The KPIs of a Kolada row's breakdown ({KPI: live title} in kolada_breakdown_titles), as entries of their own."""
    titles = _json_col(ind, "kolada_breakdown_titles", {})
    if not isinstance(titles, dict):
        raise CatalogError(f"{ind.indicator_id}: kolada_breakdown_titles must be a JSON object {{KPI id: title}}")
    return [replace(ind, source_ref=kpi, kolada_title=title) for kpi, title in titles.items()]


def kolada_kpis(catalog: list[Indicator]) -> list[str]:
    """Distinct Kolada KPI ids, catalog order."""
    seen: dict[str, None] = {}
    for ind in kolada_indicators(catalog):
        if not KOLADA_ID.match(ind.source_ref):
            raise CatalogError(f"{ind.indicator_id}: Kolada source_ref {ind.source_ref!r} is not a KPI id")
        seen.setdefault(ind.source_ref, None)
    return list(seen)


def kolada_entry(catalog: list[Indicator], kpi: str) -> Indicator:
    for ind in kolada_indicators(catalog):
        if ind.source_ref == kpi:
            return ind
    raise KeyError(f"KPI {kpi} is not in the indicator catalog (source=kolada); add a row before ingesting it")


# ------------------------------------------------------------------------------------------------- SCB
def _json_col(ind: Indicator, column: str, default: Any) -> Any:
    text = ind.get(column)
    if not text:
        return default
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{ind.indicator_id}: column {column} is not valid JSON ({exc})") from exc


def _names_scb_table(ind: Indicator) -> bool:
    return ind.get("scb_api") in ("v1", "v2") and bool(ind.get("scb_table")) and bool(ind.get("scb_contents_code"))


def has_scb_spec(ind: Indicator) -> bool:
    """The row names an SCB table to fetch (its own source, or an alternative source of a Kolada row) and every
    code is known: none is still to be looked up live."""
    return _names_scb_table(ind) and not scb_lookups(ind)


def scb_lookups(ind: Indicator) -> list[tuple[ScbTable, dict[str, str]]]:
    """The tables of a row whose codes are not public yet, each with {variable: what to look up live}."""
    if not _names_scb_table(ind):
        return []
    return [(t, t.lookups) for t in scb_tables(ind) if t.lookups]


def scb_spec(ind: Indicator) -> ScbSpec:
    if not has_scb_spec(ind):
        raise CatalogError(f"{ind.indicator_id}: not an ingestible SCB spec: {ingestibility(ind)[1]}")
    return ScbSpec(spec_id=ind.indicator_id, tables=tuple(scb_tables(ind)))


def scb_tables(ind: Indicator) -> list[ScbTable]:
    """The row's SCB tables, primary first, as the catalog writes them (lookups included)."""
    tables = [ScbTable(api=ind.get("scb_api"), table=ind.get("scb_table"),
                       contents_code=ind.get("scb_contents_code"),
                       selection=_json_col(ind, "scb_selection", {}),
                       granularity=ind.period_granularity or "year", evidence=ind.raw.get("evidence", ""))]
    for succ in _json_col(ind, "scb_successors", []):
        for key in ("api", "table", "contents_code"):
            if not succ.get(key):
                raise CatalogError(f"{ind.indicator_id}: scb_successors entry lacks {key!r}: {succ}")
        tables.append(ScbTable(api=succ["api"], table=succ["table"], contents_code=succ["contents_code"],
                               selection=succ.get("selection") or {}, granularity=succ.get("granularity", "year"),
                               evidence=succ.get("evidence", ""), until=succ.get("until")))
    for t in tables:
        if t.api not in ("v1", "v2"):
            raise CatalogError(f"{ind.indicator_id}: scb api must be v1 or v2, got {t.api!r} for {t.table}")
        if not isinstance(t.selection, dict):
            raise CatalogError(f"{ind.indicator_id}: selection for {t.table} must be a JSON object")
    return tables


def scb_specs(catalog: list[Indicator]) -> list[ScbSpec]:
    return [scb_spec(i) for i in catalog if has_scb_spec(i)]


def find_indicator(catalog: list[Indicator], indicator_id: str) -> Indicator:
    for ind in catalog:
        if ind.indicator_id == indicator_id:
            return ind
    raise KeyError(f"{indicator_id!r} is not an indicator_id in the catalog")


# ------------------------------------------------------------------------------------------------- coverage
def recorded_evidence(ind: Indicator, replay_paths: set[str]) -> str:
    """How far the ingest path is proven by real recorded responses (ingest/replay/manifest.json):
    'data' (a data response is recorded: replay lands real values), 'metadata' (only the metadata / KPI
    title is recorded), or 'spec' (built from public evidence; first exercised by a live run). A row with an
    alternative SCB source counts the stronger of its two paths."""
    levels = ["", "spec", "metadata", "data"]
    found = ""
    if ind.source == "kolada" and KOLADA_ID.match(ind.source_ref):
        if any(p.startswith(f"/kolada/v3/data/kpi/{ind.source_ref}/") for p in replay_paths):
            found = "data"
        else:
            found = "metadata" if f"/kolada/v3/kpi/{ind.source_ref}" in replay_paths else "spec"
    if has_scb_spec(ind):
        tables = [t.table for t in scb_spec(ind).tables]
        if any(p.endswith(f"/tables/{t}/data") or p.endswith(f"/START/{t}") for t in tables for p in replay_paths
               if not p.endswith("/metadata")):
            scb = "data"
        else:
            scb = "metadata" if any(p.endswith(f"/tables/{t}/metadata") for t in tables for p in replay_paths) \
                else "spec"
        found = max(found, scb, key=levels.index)
    return found


def ingestibility(ind: Indicator) -> tuple[bool, str]:
    """(ingestible by an API client, reason) — the reason is shown by `jamstat coverage`."""
    if ind.source == "kolada":
        if not KOLADA_ID.match(ind.source_ref):
            return False, f"Kolada source_ref {ind.source_ref!r} is not a KPI id"
        if not ind.kolada_title:
            return False, "kolada_title is empty: the live title check cannot run"
        also = (f"; also SCB PxWeb {ind.get('scb_api')} {ind.get('scb_table')} (fills keys Kolada leaves empty)"
                if has_scb_spec(ind) else "")
        return True, "Kolada v3 KPI (title checked against live metadata)" + also
    if ind.source == "scb":
        if ind.get("scb_api") == "none":
            return False, ("SCB publishes this outside Statistikdatabasen: no PxWeb table found (catalog evidence); "
                           "ingest SCB's published table via the file drop (data/landing/<name>.csv + <name>.yaml)")
        if has_scb_spec(ind):
            return True, f"SCB PxWeb {ind.get('scb_api')} table {ind.get('scb_table')} / {ind.get('scb_contents_code')}"
        if scb_lookups(ind):
            todo = "; ".join(f"{t.table_name}.{var}: {what}" for t, need in scb_lookups(ind) for var, what in need.items())
            return False, f"SCB: codes not public yet, look up live (jamstat preflight lists them): {todo}"
        hint = "table id not found" if "not found" in ind.source_ref.lower() or "not seen" in ind.source_ref.lower() \
            else "table known, but no ContentsCode/selection evidenced (see the catalog notes)"
        return False, f"SCB: {hint}; source_ref is free text: {ind.source_ref[:90]}"
    if ind.source == "none":
        return False, "no public source (source=none)"
    return False, (f"no API client for source {ind.source!r}; ingest an export via the file drop "
                   "(data/landing/<name>.csv + <name>.yaml mapping with indicator_id)")
