"""One unit of Kolada ingest: one KPI — check its live title, fetch its years, land the raw responses and
commit one batch. The ingest_kolada DAG maps one task over each catalog KPI (plan_kolada)."""
from __future__ import annotations

import json
import logging
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa

from ingest.batches import Unit, empty_table
from ingest.catalog import kolada_entry, kolada_indicators, kolada_kpis, load_catalog
from ingest.http import LIMITER, HttpClient, HttpError, ReplayMiss, RetryPolicy
from ingest.raw_store import atomic_write
from ingest.sources import kolada as kol
from jamstat.settings import Settings

log = logging.getLogger("jamstat.ingest.kolada")

KOLADA_MIN_INTERVAL = 0.2   # at most 5 requests/s: Kolada documents no limit, so stay polite


def plan_kolada(settings: Settings) -> list[str]:
    """The distinct KPI ids of the catalog's Kolada rows."""
    return kolada_kpis(load_catalog(settings.catalog_path))


FIRST_YEAR = 2014  # the strategy's start: the years every full Kolada snapshot covers begin here


def kolada_years(spec: str | None = None) -> list[int]:
    """Years to fetch: JAMSTAT_KOLADA_YEARS ('2014-2026' or '2019,2020'); default 2014..current year."""
    spec = spec or os.environ.get("JAMSTAT_KOLADA_YEARS", "")
    if not spec:
        return list(range(FIRST_YEAR, date.today().year + 1))
    return parse_years(spec)


def snapshot_kind(years: list[int], from_date: str | None) -> str:
    """'full' when the fetch holds everything the source has for the KPI in 2014..this year (no from_date
    delta, no narrower year range); otherwise 'incremental': it layers on the KPI's earlier batches instead of
    retracting the keys it does not carry."""
    covered = set(range(FIRST_YEAR, date.today().year + 1)) <= set(years)
    return "full" if from_date is None and covered else "incremental"


def parse_years(spec: str) -> list[int]:
    out: list[int] = []
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = (int(x) for x in part.split("-", 1))
            out.extend(range(min(a, b), max(a, b) + 1))
        else:
            out.append(int(part))
    return sorted(dict.fromkeys(out))


def _hwm_path(settings: Settings, kpi: str) -> Path:
    return settings.state_dir / "kolada" / f"{kpi}.json"


def read_hwm(settings: Settings, kpi: str) -> str | None:
    path = _hwm_path(settings, kpi)
    try:
        return json.loads(path.read_text("utf-8")).get("from_date")
    except (OSError, json.JSONDecodeError):
        return None


def write_hwm(settings: Settings, kpi: str, from_date: str, run_id: str) -> None:
    atomic_write(_hwm_path(settings, kpi), json.dumps({"from_date": from_date, "run_id": run_id}).encode("utf-8"))


def as_bool(value: Any) -> bool | None:
    """v3 sends a JSON bool, v2 sent 0/1."""
    if value is None or isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes")


def ingest_kolada_kpi(kpi: str, *, mode: str, base_urls: dict[str, str], run_id: str, settings: Settings,
                      years: list[int] | None = None, incremental: bool | None = None,
                      http: HttpClient | None = None) -> dict[str, Any]:
    """One KPI: check its live title, fetch its years (one request per ≤25 years), commit one batch."""
    started = datetime.now(UTC)
    catalog = load_catalog(settings.catalog_path)
    entry = kolada_entry(catalog, kpi)
    indicator_ids = [i.indicator_id for i in kolada_indicators(catalog) if i.source_ref == kpi]
    years = years or kolada_years()
    if incremental is None:
        incremental = os.environ.get("JAMSTAT_KOLADA_INCREMENTAL", "1") not in ("0", "false", "no")
    from_date = read_hwm(settings, kpi) if (incremental and mode == "live") else None
    unit = Unit.for_settings(settings, "kolada", f"kolada:{kpi}", mode, run_id, check_unit=kpi)
    own_http = http is None
    http = http or HttpClient(RetryPolicy.from_env())
    base = base_urls["kolada"]
    if mode == "live":
        LIMITER.set_interval(urlsplit(base).netloc, KOLADA_MIN_INTERVAL)
    client = kol.KoladaClient(http, base, on_response=lambda f, ds: unit.land(f, ds))
    summary: dict[str, Any] = {"unit": kpi, "kpi": kpi, "source": "kolada", "indicator_ids": indicator_ids,
                               "mode": mode, "run_id": run_id}
    try:
        try:
            meta = client.kpi_metadata([kpi])
        except ReplayMiss as exc:
            return {**summary, "status": "no_recorded_data", "rows": 0, "batch_id": None,
                    "detail": f"no recorded /kpi/{kpi} metadata ({exc.url})"}
        row = kol.check_title(kpi, entry.kolada_title, meta)
        divided = as_bool(row.get("is_divided_by_gender"))
        if entry.kolada_is_divided_by_gender is not None and divided is not None \
                and divided != entry.kolada_is_divided_by_gender:
            unit.note(f"{kpi}: live is_divided_by_gender={divided} differs from catalog "
                      f"{entry.kolada_is_divided_by_gender}")
        n_before = len(unit.responses)
        try:
            values = client.data_kpi_years(kpi, years, from_date=from_date)
        except ReplayMiss:
            return {**summary, "status": "no_recorded_data", "rows": 0, "batch_id": None,
                    "detail": f"no recorded data for {kpi} in years {years[0]}-{years[-1]}"}
        url = unit.responses[n_before]["url"] if len(unit.responses) > n_before else kpi
        frames = [kol.normalize_arrow(values, url)] if values else []
        with_data = {int(str(v.get("period"))[:4]) for v in values if str(v.get("period", ""))[:4].isdigit()}
        empty = [y for y in years if y not in with_data]
        frame = pa.concat_tables(frames) if frames else empty_table()
        foreign = sorted(set(frame.column("source_ref").to_pylist()) - {kpi})
        if foreign:
            raise kol.SchemaDrift(f"KPI {kpi}: response carries other KPI ids {foreign}")
        odd = kol.unexpected_sexes(frame, divided if divided is not None else entry.kolada_is_divided_by_gender)
        if odd:
            msg = (f"{kpi}: sex codes {odd} present although is_divided_by_gender="
                   f"{divided}; kept as given")
            log.warning(msg)
            unit.note(msg)
        if from_date:
            unit.note(f"incremental: from_date={from_date}")
        unit.snapshot = snapshot_kind(years, from_date)
        result = unit.commit(frame, source_refs=[kpi])
    except (HttpError, kol.KpiTitleMismatch):
        raise
    except Exception as exc:
        raise RuntimeError(f"Kolada KPI {kpi}: {type(exc).__name__}: {exc}") from exc
    finally:
        if own_http:
            http.close()
    if mode == "live":
        write_hwm(settings, kpi, started.strftime("%Y-%m-%d"), run_id)
    return {**summary, **result.summary(), "snapshot": unit.snapshot, "years_fetched": years, "years_empty": empty,
            "requests": len(unit.responses), "notes": unit.notes}
