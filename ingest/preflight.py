"""`jamstat preflight`: before a first live run, check every catalog row with an API source against the
APIs' metadata — cheaply (no data requests) and politely (the run's own pacing per host).

Kolada rows: the KPI exists, its live title is the catalog's kolada_title, its is_divided_by_gender is the
catalog's (one `/kpi/{ids}` request per 25 KPIs). SCB rows (and Kolada rows with SCB as alternative source):
each table of the spec exists, every selected code and `label:` resolves, no non-eliminable variable is left
out, and the query fits maxDataCells or will be split (its cell count after table succession). SCB rows whose
codes are not public (`lookup:` in the catalog) get what to look up, with the table's live codes and texts
for each variable to look up or still to select.

Each row ends as `ok`, `fail` (the run would fail or load nothing for it: why) or `unverified` (not checked:
no recording in replay mode, or nothing machine-checkable in the catalog yet)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from ingest.catalog import (
    Indicator,
    has_scb_spec,
    ingestibility,
    kolada_indicators,
    load_catalog,
    scb_lookups,
    scb_spec,
    scb_tables,
)
from ingest.http import LIMITER, HttpClient, HttpError, ReplayMiss
from ingest.kolada_kpi import KOLADA_MIN_INTERVAL, as_bool
from ingest.sources import kolada as kol
from ingest.sources import scb
from jamstat.settings import Settings

OK, FAIL, UNVERIFIED = "ok", "fail", "unverified"
OFFLINE_EXIT = 3  # distinct from 1 (a row will fail) and 2 (click's usage error)
_RANK = {OK: 0, UNVERIFIED: 1, FAIL: 2}


@dataclass
class RowCheck:
    """The verdict on one catalog row: the worst of its parts (Kolada KPI, SCB spec)."""

    indicator_id: str
    source: str
    parts: list[tuple[str, str]] = field(default_factory=list)   # (status, detail)

    def add(self, status: str, detail: str) -> None:
        self.parts.append((status, detail))

    @property
    def status(self) -> str:
        return max((s for s, _ in self.parts), key=_RANK.__getitem__, default=UNVERIFIED)

    @property
    def detail(self) -> str:
        return "; ".join(d for _, d in self.parts)

    def line(self) -> str:
        label = {OK: "OK", FAIL: "will fail", UNVERIFIED: "unverified"}[self.status]
        return f"{self.indicator_id:<48} {self.source:<7} {label}: {self.detail}"


def api_rows(catalog: list[Indicator]) -> list[Indicator]:
    """Rows meant to be fetched from an API: Kolada KPIs, and SCB rows except those SCB publishes outside
    Statistikdatabasen (scb_api=none)."""
    return [i for i in catalog if i.source == "kolada" or (i.source == "scb" and i.get("scb_api") != "none")]


def run_preflight(settings: Settings, mode: str, base_urls: dict[str, str], http: HttpClient,
                  only: list[str] | None = None) -> list[RowCheck]:
    catalog = load_catalog(settings.catalog_path)
    rows = [i for i in api_rows(catalog) if not only or i.indicator_id in only]
    checks = {i.indicator_id: RowCheck(i.indicator_id, i.source) for i in rows}
    kolada_rows = [i for i in kolada_indicators(rows) if ingestibility(i)[0]]
    if kolada_rows:
        _check_kolada(kolada_rows, checks, mode, base_urls["kolada"], http)
    scb_checker = _ScbChecker(mode, base_urls, http)
    for ind in rows:
        if has_scb_spec(ind):
            scb_checker.check(ind, checks[ind.indicator_id])
        elif scb_lookups(ind):
            scb_checker.check_lookups(ind, checks[ind.indicator_id])
        elif ind.source == "scb":
            checks[ind.indicator_id].add(UNVERIFIED, ingestibility(ind)[1])
        elif not ingestibility(ind)[0]:
            checks[ind.indicator_id].add(FAIL, ingestibility(ind)[1])
    return list(checks.values())


def _check_kolada(rows: list[Indicator], checks: dict[str, RowCheck], mode: str, base: str,
                  http: HttpClient) -> None:
    if mode == "live":
        LIMITER.set_interval(urlsplit(base).netloc, KOLADA_MIN_INTERVAL)
    client = kol.KoladaClient(http, base)
    kpis = list(dict.fromkeys(i.source_ref for i in rows))
    meta: dict[str, dict] = {}
    unrecorded: set[str] = set()
    for chunk in kol.chunks(kpis):
        try:
            meta.update(client.kpi_metadata(chunk))
        except ReplayMiss:
            unrecorded.update(chunk)
    for ind in rows:
        kpi, check = ind.source_ref, checks[ind.indicator_id]
        # replay answers a list of KPIs with those it has recordings for: a missing one is unrecorded, not gone
        if kpi in unrecorded or (mode == "replay" and kpi not in meta):
            check.add(UNVERIFIED, f"Kolada {kpi}: no recording of /kpi/{kpi}")
            continue
        try:
            row = kol.check_title(kpi, ind.kolada_title, meta)
        except kol.KpiTitleMismatch as exc:
            check.add(FAIL, f"Kolada {kpi}: " + ("the KPI does not exist" if exc.actual is None else
                                                 f"live title {exc.actual!r} is not the catalog's {exc.expected!r}")
                      + " (the KPI would not load; fix kolada_title or the KPI id)")
            continue
        divided = as_bool(row.get("is_divided_by_gender"))
        if ind.kolada_is_divided_by_gender is not None and divided is not None \
                and divided != ind.kolada_is_divided_by_gender:
            check.add(FAIL, f"Kolada {kpi}: live is_divided_by_gender={divided}, catalog says "
                            f"{ind.kolada_is_divided_by_gender} (fix kolada_is_divided_by_gender)")
        else:
            check.add(OK, f"Kolada {kpi}: title and gender flag match")


class _ScbChecker:
    """SCB metadata checks of one spec after another, sharing the v2 /config limits."""

    def __init__(self, mode: str, base_urls: dict[str, str], http: HttpClient):
        self.mode = mode
        self.v2 = scb.ScbV2Client(http, base_urls["scb_v2"])
        self.v1 = scb.ScbV1Client(http, base_urls["scb_v1"])
        self.cfg: dict | None = None

    def limits(self, api: str) -> tuple[int, float]:
        if api == "v1":
            return self.v1.limits()
        if self.cfg is None:
            try:
                self.cfg, _ = self.v2.config()
            except ReplayMiss:
                self.cfg = dict(scb.V2_DEFAULTS)
        return self.v2.limits(self.cfg)

    def check(self, ind: Indicator, check: RowCheck) -> None:
        """The spec's verdict is its worst table (fail > unverified > ok); a table SCB does not offer counts only
        when no table is offered (the run goes on with the others)."""
        spec = scb_spec(ind)
        last_by_grain: dict[str, str] = {}
        results = [self.check_table(t, last_by_grain) for t in spec.tables]
        offered = [s for s, _ in results if s != "not_available"]
        text = "SCB " + "; ".join(d for _, d in results)
        if not offered:
            check.add(FAIL, "SCB: no table of the spec is offered: " + "; ".join(d for _, d in results))
        else:
            check.add(max(offered, key=_RANK.__getitem__), text)

    def metadata(self, t) -> tuple[scb.TableMeta | None, str, str]:
        """(metadata, status, detail): status '' when the metadata was read."""
        client = self.v2 if t.api == "v2" else self.v1
        if self.mode == "live":
            LIMITER.set_interval(urlsplit(client.base).netloc, self.limits(t.api)[1])
        try:
            return client.metadata(t.table)[0], "", ""
        except ReplayMiss:
            return None, UNVERIFIED, f"{t.table_name}: no recording of its metadata"
        except HttpError as exc:
            if getattr(exc, "status", None) in (400, 403, 404):
                return None, "not_available", f"{t.table_name}: not offered (HTTP {exc.status})"
            raise

    def check_lookups(self, ind: Indicator, check: RowCheck) -> None:
        """A row whose codes are still to be looked up: per table, the live codes and texts of each variable to
        look up or still to select; a named code the table lacks is a failure."""
        for t in scb_tables(ind):
            need = t.lookups
            meta, status, detail = self.metadata(t)
            todo = "; ".join(f"{var} = {what}" for var, what in need.items())
            if meta is None:
                check.add(UNVERIFIED if status == UNVERIFIED else FAIL,
                          f"SCB {detail}" + (f"; look up live: {todo}" if todo else ""))
                continue
            wrong, lookup = [], []
            for v in meta.variables:
                entry = t.selection.get(v.code)
                if v.code in need or (entry is None and v.code != scb.CONTENTS and not v.elimination and not v.time):
                    lookup.append(f"{t.table_name}.{v.code} = {need.get(v.code, 'must be selected')} "
                                  f"(the table has {_candidates(v)})")
                elif entry is not None and v.code != scb.CONTENTS:
                    try:
                        scb.resolve_selection(scb.TableMeta(meta.api, meta.table, meta.title, [v]),
                                              _only_var(t, v.code))
                    except scb.SelectionError as exc:
                        wrong.append(str(exc))
            if wrong:
                check.add(FAIL, f"SCB {t.table_name}: " + "; ".join(wrong))
            check.add(UNVERIFIED, "SCB look up live: " + ("; ".join(lookup) or f"{t.table_name}: {todo}"))

    def check_table(self, t, last_by_grain: dict[str, str]) -> tuple[str, str]:
        limit, _ = self.limits(t.api)
        meta, status, detail = self.metadata(t)
        if meta is None:
            return status, detail
        try:
            sels = scb.resolve_selection(meta, t, codelist_size=self.v2.codelist_size if t.api == "v2" else None)
        except scb.SelectionError as exc:
            return FAIL, f"{t.table_name}: {exc}"
        after = last_by_grain.get(t.granularity)
        sels = scb.restrict_time(sels, meta, after, t.until)
        n = scb.cells(sels)
        if n == 0:
            return OK, f"{t.table_name}: no periods after {after}"
        last_by_grain[t.granularity] = max(filter(None, [after, scb.last_selected_period(sels, meta)]))
        try:
            queries = len(scb.split_selection(sels, limit, scb.split_order(meta, sels)))
        except scb.CellLimitError as exc:
            return FAIL, f"{t.table_name}: {exc}"
        return OK, (f"{t.table_name}: {n:,} cell{'s' * (n != 1)} in one query" if queries == 1 else
                    f"{t.table_name}: {n:,} cells > maxDataCells {limit:,}, split into {queries} queries")


def _candidates(v: scb.Variable, shown: int = 12) -> str:
    pairs = [f"{c} {t!r}" if t else c for c, t in zip(v.values, v.labels or [""] * len(v.values), strict=True)]
    more = f", … {len(pairs) - shown} more" if len(pairs) > shown else ""
    return f"{len(pairs)} codes: " + ", ".join(pairs[:shown]) + more


def _only_var(t, var: str):
    """The table spec reduced to one named variable (to check its codes alone)."""
    return replace(t, contents_code="*", selection={var: t.selection[var]})


def summary(checks: list[RowCheck], mode: str) -> str:
    n = {s: sum(c.status == s for c in checks) for s in (OK, FAIL, UNVERIFIED)}
    return (f"\n{len(checks)} catalog API rows ({mode}): {n[OK]} OK, {n[FAIL]} will fail, {n[UNVERIFIED]} unverified"
            + (" — fix the failing rows before the live run" if n[FAIL] else ""))


def exit_code(checks: list[RowCheck]) -> int:
    """0 when nothing fails (unverified rows are listed, not failed), 1 when a row will fail."""
    return 1 if any(c.status == FAIL for c in checks) else 0
