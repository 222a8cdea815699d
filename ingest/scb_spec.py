"""One unit of SCB ingest: one catalog SCB spec — its primary table and successors, each query split under
`maxDataCells`, one batch per chunk. The ingest_scb DAG maps one task over each spec (plan_scb).

A table SCB does not offer (withdrawn v1 tables answer 400/404, PxWebApi 2 answers 403/404) is noted as
not_available and the spec goes on with the next table; the spec fails only when no table is available."""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa

from ingest.batches import Unit
from ingest.catalog import find_indicator, load_catalog, scb_spec, scb_specs
from ingest.http import LIMITER, HttpClient, HttpError, ReplayMiss, RetryPolicy
from ingest.sources import scb
from jamstat.settings import Settings

log = logging.getLogger("jamstat.ingest.scb")


def plan_scb(settings: Settings) -> list[str]:
    """The spec ids (catalog indicator_id) of every ingestible SCB row."""
    return [s.spec_id for s in scb_specs(load_catalog(settings.catalog_path))]


def ingest_scb_table(spec_id: str, *, mode: str, base_urls: dict[str, str], run_id: str, settings: Settings,
                     http: HttpClient | None = None, max_cells: int | None = None) -> dict[str, Any]:
    """One catalog SCB spec: its primary table and successors, each split into ≤maxDataCells chunks; one batch
    per chunk."""
    spec = scb_spec(find_indicator(load_catalog(settings.catalog_path), spec_id))
    own_http = http is None
    http = http or HttpClient(RetryPolicy.from_env())
    run = _SpecRun(spec_id, mode, run_id, settings, scb.ScbV2Client(http, base_urls["scb_v2"]),
                   scb.ScbV1Client(http, base_urls["scb_v1"]), max_cells)
    try:
        if any(t.api == "v2" for t in spec.tables):
            run.read_config()
        for table in spec.tables:
            run.ingest_table(table)
        run.require_some_table()
    except HttpError:
        raise  # the message names the table URL
    except (scb.SelectionError, ValueError) as exc:
        raise type(exc)(f"SCB spec {spec_id}: {exc}") from exc
    finally:
        if own_http:
            http.close()
    return run.summary()


class _SpecRun:
    """The state of one spec's ingest: server limits, the last period per granularity (table succession) and
    what happened to each table and chunk."""

    def __init__(self, spec_id, mode, run_id, settings, v2, v1, max_cells):
        self.spec_id, self.mode, self.run_id, self.settings = spec_id, mode, run_id, settings
        self.v2, self.v1, self.max_cells = v2, v1, max_cells
        self.cfg, self.cfg_fetched = None, None
        self.last_by_grain: dict[str, str] = {}
        self.chunks: list[dict] = []
        self.notes: list[str] = []

    def read_config(self) -> None:
        try:
            self.cfg, self.cfg_fetched = self.v2.config()
        except ReplayMiss:
            self.cfg = dict(scb.V2_DEFAULTS)
            self.notes.append("SCB v2 /config not recorded; documented defaults used")

    def ingest_table(self, t) -> None:
        client = self.v2 if t.api == "v2" else self.v1
        try:
            meta, meta_fetched = client.metadata(t.table)
        except ReplayMiss as exc:
            self.chunks.append({"table": t.table, "status": "no_recorded_data",
                                "detail": f"no recorded metadata ({exc.url})"})
            return
        except HttpError as exc:
            if getattr(exc, "status", None) in (400, 403, 404):
                self.chunks.append({"table": t.table, "status": "not_available",
                                    "detail": f"SCB does not offer the table (HTTP {exc.status}); the spec goes on "
                                              f"with its other tables: {str(exc)[:240]}"})
                return
            raise
        sels = scb.resolve_selection(meta, t, codelist_size=self.v2.codelist_size if t.api == "v2" else None)
        after = self.last_by_grain.get(t.granularity)
        sels = scb.restrict_time(sels, meta, after, t.until)
        if scb.cells(sels) == 0:
            self.chunks.append({"table": t.table, "status": "no_new_periods",
                                "detail": f"no periods after {after} (predecessor's last period)"
                                          + (f" up to {t.until}" if t.until else "")})
            return
        self.last_by_grain[t.granularity] = max(filter(None, [after, scb.last_selected_period(sels, meta)]))
        limit, interval = self.v2.limits(self.cfg) if t.api == "v2" else self.v1.limits()
        if self.mode == "live":
            LIMITER.set_interval(urlsplit(client.base).netloc, interval)
        order = scb.split_order(meta, sels)
        for chunk in scb.split_selection(sels, self.max_cells or limit, order):
            self.ingest_chunk(client, t, chunk, order, meta_fetched, after)

    def require_some_table(self) -> None:
        """Raise when SCB offers none of the spec's tables (each one named with its answer)."""
        if self.chunks and all(c["status"] == "not_available" for c in self.chunks):
            raise HttpError(f"SCB spec {self.spec_id}: none of its tables is available: "
                            + "; ".join(f"{c['table']}: {c['detail']}" for c in self.chunks)
                            + ". Find the table's current id (jamstat describe-scb, SCB's table search) and "
                              "update the catalog row.")

    def ingest_chunk(self, client, t, chunk, order, meta_fetched, after) -> None:
        body = scb.v2_body(chunk) if t.api == "v2" else scb.v1_body(chunk)
        key = scb.chunk_key(body)
        unit = Unit.for_settings(self.settings, "scb", f"scb:{self.spec_id}:{t.table_name}:{key}", self.mode,
                                 self.run_id, check_unit=self.spec_id, snapshot=self.snapshot_kind())
        if self.cfg_fetched is not None and t.api == "v2":
            unit.land(self.cfg_fetched, "config")
        unit.land(meta_fetched, t.table_name)
        try:
            fetched = scb.fetch_chunk(client, t.table, chunk, order)
        except ReplayMiss as exc:
            self.chunks.append({"table": t.table, "chunk": key, "status": "no_recorded_data",
                                "cells": scb.cells(chunk), "detail": f"no recorded data ({exc.url})"})
            return
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
        if t.until:
            unit.note(f"{t.table}: periods up to {t.until}; the next table's definition wins after that")
        if any(f.headers.get("X-Jamstat-Replay") == "subset" for f in fetched):
            unit.note(f"{t.table}: replay answered with a recording of part of the requested cells "
                      "(a live run fetches them all)")
        if any(c.startswith(scb.LABEL_PREFIX) for c in t.contents_codes):
            unit.note(f"{t.table}: ContentsCode resolved from its label: {', '.join(resolved)}")
        res = unit.commit(pa.concat_tables(frames), source_refs=[f"{t.table_name}/{c}" for c in resolved])
        self.chunks.append({"table": t.table, "chunk": key, "cells": scb.cells(chunk),
                            "requests": len(fetched), **res.summary()})

    def snapshot_kind(self) -> str:
        """'full' while every table and chunk of the spec so far was answered; a chunk with no recording (replay)
        makes the spec's batches 'incremental', so they do not retract what the unrecorded chunk held."""
        return "incremental" if any(c["status"] == "no_recorded_data" for c in self.chunks) else "full"

    def summary(self) -> dict[str, Any]:
        statuses = [c["status"] for c in self.chunks]
        status = "loaded" if "loaded" in statuses else "unchanged" if "unchanged" in statuses else "no_recorded_data"
        batches = [c["batch_id"] for c in self.chunks if c.get("batch_id")]
        return {"unit": self.spec_id, "spec": self.spec_id, "source": "scb", "mode": self.mode, "run_id": self.run_id,
                "status": status, "snapshot": self.snapshot_kind(),
                "rows": sum(c.get("rows", 0) for c in self.chunks if c["status"] == "loaded"),
                "batch_id": batches[0] if len(batches) == 1 else None, "batch_ids": batches, "chunks": self.chunks,
                "notes": self.notes,
                "detail": "; ".join(f"{c['table']}: {c.get('detail', c['status'])}" for c in self.chunks
                                    if c["status"] not in ("loaded", "unchanged"))}
