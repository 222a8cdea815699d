"""Units of ingest work — the functions the Airflow DAGs (via ingest/tasks.py) call.

    resolve_mode(settings) -> 'live' | 'replay'
    plan_kolada(settings) -> list[str]           KPI ids from the catalog
    plan_scb(settings) -> list[str]              SCB spec ids (catalog indicator_id with scb_* columns)
    plan_file_drops(settings) -> list[str]       mapping files in data/landing/
    ingest_kolada_kpi(kpi, *, mode, base_urls, run_id, settings) -> dict
    ingest_scb_table(spec_id, *, mode, base_urls, run_id, settings) -> dict
    ingest_file_drop(unit, *, mode, base_urls, run_id, settings) -> dict

Each ingest_* lands its raw responses and commits one batch per unit (SCB: per table chunk) and returns a
JSON-serialisable summary with `status` loaded | unchanged | no_recorded_data. Errors raise and name the unit.
"""
from __future__ import annotations

import json
import logging
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa

from ingest.catalog import find_indicator, kolada_entry, kolada_kpis, load_catalog, scb_spec, scb_specs
from ingest.config import LIVE_BASE_URLS, USER_AGENT, Settings
from ingest.http import DEFAULT_POLICY, LIMITER, HttpClient, HttpError, ReplayMiss, RetryPolicy
from ingest.landing import Unit, empty_table
from ingest.sources import kolada as kol
from ingest.sources import scb

log = logging.getLogger("jamstat.units")

KOLADA_MIN_INTERVAL = 0.2   # ≤5 requests/s (sources.md §F)


# ------------------------------------------------------------------------------------------------ config
def http_policy_from_env() -> RetryPolicy:
    """Retry/timeouts; JAMSTAT_HTTP_ATTEMPTS, JAMSTAT_HTTP_BACKOFF, JAMSTAT_HTTP_READ_TIMEOUT override."""
    env = os.environ
    return RetryPolicy(
        attempts=int(env.get("JAMSTAT_HTTP_ATTEMPTS", DEFAULT_POLICY.attempts)),
        backoff_factor=float(env.get("JAMSTAT_HTTP_BACKOFF", DEFAULT_POLICY.backoff_factor)),
        read_timeout=float(env.get("JAMSTAT_HTTP_READ_TIMEOUT", DEFAULT_POLICY.read_timeout)),
    )


def kolada_years(spec: str | None = None) -> list[int]:
    """Years to fetch: JAMSTAT_KOLADA_YEARS ('2014-2026' or '2019,2020'); default 2014..current year."""
    spec = spec or os.environ.get("JAMSTAT_KOLADA_YEARS", "")
    if not spec:
        return list(range(2014, date.today().year + 1))
    return parse_years(spec)


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


def _catalog(settings: Settings):
    return load_catalog(settings.catalog_path)


# ------------------------------------------------------------------------------------------------ mode
def resolve_mode(settings: Settings, timeout: float = 3.0) -> str:
    """'live' or 'replay'. `auto` probes the live API hosts (one short GET each); all reachable → live."""
    if settings.mode in ("live", "replay"):
        return settings.mode
    import requests

    probes = [LIVE_BASE_URLS["kolada"] + "/municipality?per_page=1", LIVE_BASE_URLS["scb_v2"] + "/config"]
    for url in probes:
        try:
            resp = requests.get(url, timeout=timeout, headers={"User-Agent": USER_AGENT})
            if resp.status_code >= 500:
                log.warning("auto mode: %s answered %s → replay", url, resp.status_code)
                return "replay"
        except requests.RequestException as exc:
            log.warning("auto mode: %s unreachable (%s) → replay", url, type(exc).__name__)
            return "replay"
    return "live"


# ------------------------------------------------------------------------------------------------ plans
def plan_kolada(settings: Settings) -> list[str]:
    return kolada_kpis(_catalog(settings))


def plan_scb(settings: Settings) -> list[str]:
    return [s.spec_id for s in scb_specs(_catalog(settings))]


def landing_dir(settings: Settings) -> Path:
    return settings.data_dir / "landing"


def plan_file_drops(settings: Settings) -> list[str]:
    folder = landing_dir(settings)
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".json") and p.is_file())


# ------------------------------------------------------------------------------------------------ Kolada
def _hwm_path(settings: Settings, kpi: str) -> Path:
    return settings.state_dir / "kolada" / f"{kpi}.json"


def read_hwm(settings: Settings, kpi: str) -> str | None:
    path = _hwm_path(settings, kpi)
    try:
        return json.loads(path.read_text("utf-8")).get("from_date")
    except (OSError, json.JSONDecodeError):
        return None


def write_hwm(settings: Settings, kpi: str, from_date: str, run_id: str) -> None:
    path = _hwm_path(settings, kpi)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"from_date": from_date, "run_id": run_id}), encoding="utf-8")
    os.replace(tmp, path)


def _as_bool(value: Any) -> bool | None:
    """v3 sends a JSON bool, v2 sent 0/1."""
    if value is None or isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes")


def ingest_kolada_kpi(kpi: str, *, mode: str, base_urls: dict[str, str], run_id: str, settings: Settings,
                      years: list[int] | None = None, incremental: bool | None = None,
                      http: HttpClient | None = None) -> dict[str, Any]:
    """One KPI: check its live title, fetch every year (one request per KPI-year), commit one batch."""
    started = datetime.now(UTC)
    catalog = _catalog(settings)
    entry = kolada_entry(catalog, kpi)
    indicator_ids = [i.indicator_id for i in catalog if i.source == "kolada" and i.source_ref == kpi]
    years = years or kolada_years()
    if incremental is None:
        incremental = os.environ.get("JAMSTAT_KOLADA_INCREMENTAL", "1") not in ("0", "false", "no")
    from_date = read_hwm(settings, kpi) if (incremental and mode == "live") else None
    unit = Unit.for_settings(settings, "kolada", f"kolada:{kpi}", mode, run_id)
    own_http = http is None
    http = http or HttpClient(http_policy_from_env())
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
        divided = _as_bool(row.get("is_divided_by_gender"))
        if entry.kolada_is_divided_by_gender is not None and divided is not None \
                and divided != entry.kolada_is_divided_by_gender:
            unit.note(f"{kpi}: live is_divided_by_gender={divided} differs from catalog "
                      f"{entry.kolada_is_divided_by_gender}")
        frames, missed, empty = [], [], []
        for year in years:
            n_before = len(unit.responses)
            try:
                values = client.data_kpi_year(kpi, year, from_date=from_date)
            except ReplayMiss:
                missed.append(year)
                continue
            url = unit.responses[n_before]["url"] if len(unit.responses) > n_before else kpi
            if not values:
                empty.append(year)
                continue
            frames.append(kol.normalize_arrow(values, url))
        fetched_years = [y for y in years if y not in missed]
        if not fetched_years:
            return {**summary, "status": "no_recorded_data", "rows": 0, "batch_id": None,
                    "detail": f"no recorded data for {kpi} in years {years[0]}-{years[-1]}"}
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
    return {**summary, **result.summary(), "years_fetched": fetched_years, "years_missing": missed,
            "years_empty": empty, "notes": unit.notes}


# ------------------------------------------------------------------------------------------------ SCB
def ingest_scb_table(spec_id: str, *, mode: str, base_urls: dict[str, str], run_id: str, settings: Settings,
                     http: HttpClient | None = None, max_cells: int | None = None) -> dict[str, Any]:
    """One catalog SCB spec: its primary table and successors, each split into ≤maxDataCells chunks; one batch
    per chunk."""
    spec = scb_spec(find_indicator(_catalog(settings), spec_id))
    own_http = http is None
    http = http or HttpClient(http_policy_from_env())
    summary: dict[str, Any] = {"unit": spec_id, "spec": spec_id, "source": "scb", "mode": mode, "run_id": run_id}
    chunks_out: list[dict] = []
    notes: list[str] = []
    try:
        v2 = scb.ScbV2Client(http, base_urls["scb_v2"])
        v1 = scb.ScbV1Client(http, base_urls["scb_v1"])
        cfg, cfg_fetched = None, None
        if any(t.api == "v2" for t in spec.tables):
            try:
                cfg_fetched = http.get(f"{v2.base}/config")
                cfg = cfg_fetched.json()
                for key in ("maxDataCells", "maxCallsPerTimeWindow", "timeWindow"):
                    if key not in cfg:
                        raise scb.SchemaDrift(f"SCB v2 {cfg_fetched.url}: field {key!r} missing in /config")
            except ReplayMiss:
                cfg, cfg_fetched = dict(scb.V2_DEFAULTS), None
                notes.append("SCB v2 /config not recorded; documented defaults used")
        last_by_grain: dict[str, str] = {}
        for t in spec.tables:
            client = v2 if t.api == "v2" else v1
            try:
                meta, meta_fetched = client.metadata(t.table)
            except ReplayMiss as exc:
                chunks_out.append({"table": t.table, "status": "no_recorded_data",
                                   "detail": f"no recorded metadata ({exc.url})"})
                continue
            except HttpError as exc:
                if t is not spec.tables[0] and getattr(exc, "status", None) in (400, 404):
                    chunks_out.append({"table": t.table, "status": "not_available", "detail": str(exc)[:300]})
                    continue
                raise
            size_fn = v2.codelist_size if t.api == "v2" else None
            sels = scb.resolve_selection(meta, t, codelist_size=size_fn)
            after = last_by_grain.get(t.granularity)
            sels = scb.restrict_time_after(sels, meta, after)
            if meta.last_period:
                last_by_grain[t.granularity] = max(filter(None, [after, meta.last_period]))
            if scb.cells(sels) == 0:
                chunks_out.append({"table": t.table, "status": "no_new_periods",
                                   "detail": f"no periods after {after} (predecessor's last period)"})
                continue
            if t.api == "v2":
                limit, interval = v2.limits(cfg)
            else:
                limit, interval = v1.limits()
            if max_cells:
                limit = max_cells
            if mode == "live":
                LIMITER.set_interval(urlsplit(client.base).netloc, interval)
            order = scb.split_order(meta, sels)
            for chunk in scb.split_selection(sels, limit, order):
                body = scb.v2_body(chunk) if t.api == "v2" else scb.v1_body(chunk)
                key = scb.chunk_key(body)
                unit = Unit.for_settings(settings, "scb", f"scb:{spec_id}:{t.table_name}:{key}", mode, run_id)
                if cfg_fetched is not None and t.api == "v2":
                    unit.land(cfg_fetched, "config")
                unit.land(meta_fetched, t.table_name)
                try:
                    fetched = scb.fetch_chunk(client, t.table, chunk, order)
                except ReplayMiss as exc:
                    chunks_out.append({"table": t.table, "chunk": key, "status": "no_recorded_data",
                                       "cells": scb.cells(chunk), "detail": f"no recorded data ({exc.url})"})
                    continue
                frames = []
                resolved = next((s.values for s in chunk if s.code == scb.CONTENTS), t.contents_codes)
                for f in fetched:
                    unit.land(f, t.table_name)
                    frame, cube_notes = scb.normalize_payload_arrow(
                        f.json(), t.table_name, resolved[0] if len(resolved) == 1 else None, f.url)
                    frames.append(frame)
                    for n in cube_notes:
                        unit.note(n)
                if after:
                    unit.note(f"{t.table}: continues the series after {after} (table succession)")
                if any(c.startswith(scb.LABEL_PREFIX) for c in t.contents_codes):
                    unit.note(f"{t.table}: ContentsCode resolved from its label: {', '.join(resolved)}")
                res = unit.commit(pa.concat_tables(frames), source_refs=[f"{t.table_name}/{c}" for c in resolved])
                chunks_out.append({"table": t.table, "chunk": key, "cells": scb.cells(chunk),
                                   "requests": len(fetched), **res.summary()})
    except HttpError:
        raise  # the message names the table URL
    except (scb.SelectionError, ValueError) as exc:
        raise type(exc)(f"SCB spec {spec_id}: {exc}") from exc
    finally:
        if own_http:
            http.close()
    statuses = [c["status"] for c in chunks_out]
    status = ("loaded" if "loaded" in statuses else "unchanged" if "unchanged" in statuses else "no_recorded_data")
    batches = [c["batch_id"] for c in chunks_out if c.get("batch_id")]
    return {**summary, "status": status, "rows": sum(c.get("rows", 0) for c in chunks_out if c["status"] == "loaded"),
            "batch_id": batches[0] if len(batches) == 1 else None, "batch_ids": batches, "chunks": chunks_out,
            "notes": notes,
            "detail": "; ".join(f"{c['table']}: {c.get('detail', c['status'])}" for c in chunks_out
                                if c["status"] not in ("loaded", "unchanged"))}


# ------------------------------------------------------------------------------------------------ file drop
def ingest_file_drop(unit: str, *, mode: str = "file", base_urls: dict[str, str] | None = None, run_id: str,
                     settings: Settings) -> dict[str, Any]:
    """One dropped export (CSV; xlsx if openpyxl is installed) described by a mapping file in data/landing/."""
    from ingest.sources import files

    mapping_path = Path(unit)
    if not mapping_path.is_absolute():
        mapping_path = landing_dir(settings) / unit
    return files.ingest(mapping_path, run_id=run_id, settings=settings, mode=mode)
