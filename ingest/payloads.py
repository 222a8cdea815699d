"""Where every real payload replay carries ends up: each recorded data response (ingest/replay/manifest.json,
real or derived) and each bundled analyst export (ingest/replay/exports.py), traced to the batches that landed
it and to the fact rows of the published warehouse that came from those batches. `jamstat coverage` prints it.

A recording is matched to a batch by replaying the batch's own requests through the replay server's matcher
(the exact rule that served them); an export by the landed file's name."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from ingest.batches import read_manifests
from ingest.replay.exports import bundled_exports
from ingest.replay.server import Recordings


@dataclass
class PayloadTrace:
    name: str                     # the recording file or the bundled export
    provenance: str               # real | derived | export
    batches: set[str] = field(default_factory=set)
    fact_rows: int | None = None  # None: no published warehouse to look in
    indicators: set[str] = field(default_factory=set)
    reason: str = ""              # why an export is not placed

    @property
    def reaches_facts(self) -> bool:
        return bool(self.fact_rows)


def _is_data(entry: dict) -> bool:
    path = entry["path"]
    return (entry["method"] == "POST" or "/data/" in path) and not path.endswith(("/metadata", "/config"))


def trace_payloads(batches_dir: Path, published: Path | None, recordings: Recordings | None = None) \
        -> list[PayloadTrace]:
    recordings = recordings or Recordings()
    traces: dict[str, PayloadTrace] = {}
    for e in recordings.entries:
        if _is_data(e):
            traces.setdefault(e["file"], PayloadTrace(e["file"], e.get("provenance", "real")))
    exports = {x.file: x for x in bundled_exports()}
    for x in exports.values():
        traces[f"{x.bundle}/{x.file}"] = PayloadTrace(f"{x.bundle}/{x.file}", "export", reason=x.reason)
    manifests = read_manifests(batches_dir) if batches_dir.exists() else []
    for m in manifests:
        for r in m.get("responses", []):
            for name in _served_by(r, recordings, exports):
                if name in traces:
                    traces[name].batches.add(m["batch_id"])
    if published is not None and published.exists():
        _count_facts(list(traces.values()), published)
    return list(traces.values())


def _served_by(response: dict, recordings: Recordings, exports: dict) -> list[str]:
    """The recording files (or the bundled export) one landed response came from."""
    url = response.get("url", "")
    parts = urlsplit(url)
    if parts.scheme == "file":
        x = exports.get(Path(unquote(parts.path)).name)
        return [f"{x.bundle}/{x.file}"] if x else []
    path, query = unquote(parts.path), dict(parse_qsl(parts.query, keep_blank_values=True))
    method = response.get("method", "GET")
    body = json.dumps(response["request_body"]).encode("utf-8") if response.get("request_body") is not None else b""
    entry = recordings.match(method, path, query, body)
    if entry is not None:
        return [entry["file"]]
    composed = recordings.compose_kolada_list(method, path, query)
    return [e["file"] for e in composed[1]] if composed else []


def _count_facts(traces: list[PayloadTrace], published: Path) -> None:
    import duckdb

    with duckdb.connect(str(published), read_only=True) as con:
        rows = con.execute("SELECT batch_id, indicator_id, count(*) FROM marts.fct_indicator_value "
                           "GROUP BY batch_id, indicator_id").fetchall()
    by_batch: dict[str, list[tuple[str, int]]] = {}
    for batch_id, indicator_id, n in rows:
        by_batch.setdefault(batch_id, []).append((indicator_id, n))
    for t in traces:
        hits = [hit for b in t.batches for hit in by_batch.get(b, [])]
        t.fact_rows = sum(n for _, n in hits)
        t.indicators = {i for i, _ in hits}


def describe(t: PayloadTrace) -> str:
    if t.reason:
        return f"not placed: {t.reason}"
    if not t.batches:
        return ("not requested by the last run (Kolada years come from JAMSTAT_KOLADA_YEARS, default 2014 to this "
                "year)" if t.name.startswith("kolada/") else "not landed by the last run (run make run in replay mode)")
    if t.fact_rows is None:
        return f"landed in {len(t.batches)} batch(es); no published warehouse to count fact rows in"
    if not t.fact_rows:
        return f"landed in {len(t.batches)} batch(es), no row in fct_indicator_value (see int_observations_unmapped)"
    return f"reaches fct_indicator_value: its batch(es) give {t.fact_rows:,} fact rows ({', '.join(sorted(t.indicators))})"
