"""Freshness gate: when each source was last successfully checked (new or unchanged content), against the
limits in expectations/freshness.yml."""
from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jamstat.gates.candidate_reader import connect_read_only
from jamstat.gates.result import FAILED, PASSED, SKIPPED, WARNED, Check, GateResult, as_utc
from jamstat.settings import REPO_ROOT

EXPECTATIONS_DIR = REPO_ROOT / "expectations"


def _fmt_duration(spec: Mapping | None) -> timedelta | None:
    if not spec:
        return None
    return timedelta(days=float(spec.get("days", 0)), hours=float(spec.get("hours", 0)),
                     minutes=float(spec.get("minutes", 0)))


# --------------------------------------------------------------------------------------------------------------
# Freshness gate
# --------------------------------------------------------------------------------------------------------------
def load_freshness_config(path: str | os.PathLike | None = None) -> dict:
    import yaml

    p = Path(path) if path else EXPECTATIONS_DIR / "freshness.yml"
    cfg = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    default = cfg.get("default") or {}
    sources = {}
    for name, spec in (cfg.get("sources") or {}).items():
        merged = {**default, **(spec or {})}
        sources[name] = {"warn_after": _fmt_duration(merged.get("warn_after")),
                         "error_after": _fmt_duration(merged.get("error_after")),
                         "required": bool(merged.get("required", False))}
    return {"default": {"warn_after": _fmt_duration(default.get("warn_after")),
                        "error_after": _fmt_duration(default.get("error_after")),
                        "required": False},
            "sources": sources}


def run_freshness_gate(candidate_path: str | os.PathLike, *, now: datetime | None = None,
                       config_path: str | os.PathLike | None = None,
                       future_tolerance: timedelta = timedelta(hours=1)) -> GateResult:
    """When each source was last successfully checked vs its warn/error limits (expectations/freshness.yml).

    "Last checked" is the newest of raw.source_checks.checked_at (an ingest that found new *or* unchanged
    content) and raw.batches.fetched_at (new content). Unchanged content keeps its first fetched_at, so content
    age alone would call a healthy daily ingest of yearly statistics stale.

    Past warn_after: the check warns (gate still succeeds). Past error_after, a required source with no batch,
    or a fetched_at in the future (clock trouble): the check fails.
    """
    t0 = time.perf_counter()
    ref = as_utc(now)
    res = GateResult("freshness", candidate_path=str(candidate_path), started_at=datetime.now(UTC).isoformat())
    res.details["reference_time"] = ref.isoformat()
    try:
        cfg = load_freshness_config(config_path)
        con = connect_read_only(candidate_path)
        try:
            has_checks = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' "
                                     "AND table_name = 'source_checks'").fetchone()[0]
            checks_sql = ("UNION ALL SELECT source, checked_at, 0 FROM raw.source_checks" if has_checks else "")
            rows = con.execute(f"""SELECT source, max(ts), sum(is_batch) FROM (
                                       SELECT source, fetched_at AS ts, 1 AS is_batch FROM raw.batches {checks_sql})
                                   GROUP BY source ORDER BY source""").fetchall()
        finally:
            con.close()
        newest = {r[0]: (r[1], r[2]) for r in rows}
        names = sorted(set(cfg["sources"]) | set(newest), key=lambda s: (s is None, str(s)))
        for source in names:
            spec = cfg["sources"].get(source, cfg["default"])
            warn_after, error_after = spec["warn_after"], spec["error_after"]
            expected = {"warn_after": str(warn_after), "error_after": str(error_after), "required": spec["required"]}
            name = f"freshness:{source}"
            if source not in newest or newest[source][0] is None:
                if spec["required"]:
                    res.checks.append(Check(name, False, FAILED, observed="no batch in raw.batches", expected=expected,
                                            dataset="raw.batches",
                                            message=f"required source {source!r} has no batch in the candidate"))
                else:
                    res.checks.append(Check(name, True, SKIPPED, observed="no batch in raw.batches", expected=expected,
                                            dataset="raw.batches", message=f"optional source {source!r} not loaded"))
                continue
            fetched, n_batches = newest[source]
            age = ref - as_utc(fetched)
            observed = {"last_checked_at": as_utc(fetched).isoformat(), "age": str(age),
                        "age_hours": round(age.total_seconds() / 3600, 2), "batches": n_batches}
            if age < -future_tolerance:
                res.checks.append(Check(name, False, FAILED, observed=observed, expected=expected,
                                        dataset="raw.batches",
                                        message=f"{source}: newest fetched_at lies {-age} in the future"))
            elif error_after is not None and age > error_after:
                res.checks.append(Check(name, False, FAILED, observed=observed, expected=expected,
                                        dataset="raw.batches",
                                        message=f"{source}: last successful check was {age} ago, past error_after "
                                                f"{error_after}; run ingest_{source} (or fix why it fails)"))
            elif warn_after is not None and age > warn_after:
                res.checks.append(Check(name, True, WARNED, observed=observed, expected=expected,
                                        dataset="raw.batches",
                                        message=f"{source}: last successful check was {age} ago, past warn_after {warn_after}"))
            else:
                res.checks.append(Check(name, True, PASSED, observed=observed, expected=expected,
                                        dataset="raw.batches"))
    except Exception as exc:  # noqa: BLE001 - a gate that cannot run fails
        res.add_error(f"{type(exc).__name__}: {exc}")
    return res.finalize(t0)
