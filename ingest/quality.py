"""Publication gates (write-audit-publish): checks that run against the *candidate* DuckDB before it is published.

Gates (each returns a JSON-serialisable `GateResult`; the DAG calls them through ingest/tasks.py):
- `run_freshness_gate(candidate_path)`: newest raw.batches.fetched_at per source vs expectations/freshness.yml.
- `run_gx_gate(candidate_path, previous_published_path=...)`: Great Expectations 1.x suites from expectations/gx/
  on raw.observations, raw.batches and the marts, plus row-count bounds and distribution shift vs the previous
  publication. GX has no DuckDB dialect (docs/source_notes/stack.md §5), so every suite validates a pandas
  DataFrame pulled read-only from the candidate; joins (unit by dim_indicator, area in dim_area) happen in SQL.
- `run_soda_gate(candidate_path)`: Soda v4 contracts from expectations/soda/ (schema, row_count, missing,
  duplicate keys, freshness of fct fetched_at) with a data-source file rendered into a temp dir (read_only).

Rules (docs/source_notes/conventions.md §2 items 9-12, §3 pain 5):
- success is asserted explicitly: a gate succeeds only if it ran without error, evaluated at least one check, and
  every check succeeded (a warning succeeds; a skipped check is recorded as skipped and does not count as run).
  A gate that raises or cannot run returns success=False with the error captured; nothing is inferred from
  "no exception".
- the candidate is opened read-only (duckdb read_only=True; Soda `read_only: true`) and never modified.

Heavy imports (duckdb, pandas, great_expectations, soda_core) happen inside the functions: DAG files may import
this module at parse time.
"""
from __future__ import annotations

import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingest.config import REPO_ROOT

log = logging.getLogger(__name__)

EXPECTATIONS_DIR = REPO_ROOT / "expectations"
REFERENCE_MUNICIPALITIES_CSV = REPO_ROOT / "dbt_project" / "seeds" / "reference" / "kommuner_290_crosschecked.csv"

PUBLISHED_MARTS = (
    "dim_area", "dim_sex", "dim_period", "dim_indicator", "dim_goal",
    "fct_indicator_value", "mart_gender_gap", "mart_goal_followup", "mart_area_benchmark",
)
NOT_COMPARED_TABLES = ("publications",)  # the publish audit table grows by itself; not a mart

DEFAULT_MAX_ROW_DROP = 0.5        # a mart that lost more than half of its rows vs the last publication fails
DEFAULT_SHIFT_TOLERANCE = 0.25    # |relative change| of an indicator's mean over common keys
MAX_EXAMPLES = 5

# status of one check
PASSED, FAILED, WARNED, SKIPPED, ERROR = "passed", "failed", "warned", "skipped", "error"
_EVALUATED = (PASSED, FAILED, WARNED)


# --------------------------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------------------------
@dataclass
class Check:
    """One evaluated (or explicitly skipped) check. `success` is True only for passed/warned/skipped."""

    check: str
    success: bool
    status: str = PASSED
    observed: Any = None
    expected: Any = None
    failing_rows: int | None = None
    examples: list = field(default_factory=list)
    dataset: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        self.examples = list(self.examples or [])[:MAX_EXAMPLES]


@dataclass
class GateResult:
    gate: str
    success: bool = False
    checks: list[Check] = field(default_factory=list)
    error: str | None = None
    duration_s: float = 0.0
    candidate_path: str | None = None
    started_at: str | None = None
    details: dict = field(default_factory=dict)

    # ---- counts
    @property
    def n_evaluated(self) -> int:
        return sum(1 for c in self.checks if c.status in _EVALUATED)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in (PASSED, FAILED, WARNED, SKIPPED, ERROR)}
        for c in self.checks:
            out[c.status] = out.get(c.status, 0) + 1
        out["evaluated"] = self.n_evaluated
        return out

    def add_error(self, text: str) -> None:
        self.error = text if not self.error else f"{self.error}\n{text}"

    def finalize(self, t0: float) -> GateResult:
        """Decide success explicitly: no error, >=1 evaluated check, every check successful."""
        self.duration_s = round(time.perf_counter() - t0, 3)
        if self.error is None and self.n_evaluated == 0:
            self.error = "no check was evaluated: a gate that checks nothing cannot pass"
        self.success = bool(self.error is None and self.n_evaluated > 0 and all(c.success for c in self.checks))
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["counts"] = self.counts()
        return _jsonable(d)

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)


def _jsonable(obj: Any) -> Any:
    """Make numpy/pandas/datetime/Decimal values JSON-safe (NaN/inf become strings)."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else str(obj)
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, timedelta):
        return str(obj)
    if isinstance(obj, Decimal):
        return _jsonable(float(obj))
    if isinstance(obj, Path):
        return str(obj)
    item = getattr(obj, "item", None)  # numpy scalars
    if callable(item):
        try:
            return _jsonable(item())
        except (TypeError, ValueError):
            pass
    if hasattr(obj, "isoformat"):  # pandas Timestamp
        return obj.isoformat()
    try:
        if obj != obj:  # NaN-like (pd.NA raises TypeError)
            return None
    except TypeError:
        return None
    return str(obj)


def _as_dict(result: GateResult | Mapping) -> dict:
    if isinstance(result, GateResult):
        return result.to_dict()
    if isinstance(result, Mapping):
        return dict(result)
    if hasattr(result, "to_dict"):
        return result.to_dict()
    return asdict(result)


def _utc(dt: datetime | None) -> datetime:
    if dt is None:
        return datetime.now(UTC)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _connect_ro(path: str | os.PathLike):
    """Open a DuckDB file read-only. A missing or unreadable file raises (DuckDB would otherwise create one)."""
    import duckdb

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"candidate DuckDB file not found: {p}")
    return duckdb.connect(str(p), read_only=True)


def _table_columns(con, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "AND table_catalog = current_database() ORDER BY ordinal_position", [schema, table]).fetchall()
    return [r[0] for r in rows]


def _tables(con, schema: str, catalog: str | None = None) -> list[str]:
    cat = "current_database()" if catalog is None else "?"
    params = [schema] + ([catalog] if catalog else [])
    rows = con.execute(
        f"SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_catalog = {cat} "
        "ORDER BY table_name", params).fetchall()
    return [r[0] for r in rows]


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
    ref = _utc(now)
    res = GateResult("freshness", candidate_path=str(candidate_path), started_at=datetime.now(UTC).isoformat())
    res.details["reference_time"] = ref.isoformat()
    try:
        cfg = load_freshness_config(config_path)
        con = _connect_ro(candidate_path)
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
            age = ref - _utc(fetched)
            observed = {"last_checked_at": _utc(fetched).isoformat(), "age": str(age),
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


# --------------------------------------------------------------------------------------------------------------
# Great Expectations gate
# --------------------------------------------------------------------------------------------------------------
def _quiet_gx():
    """Import GX without the INFO flood (stack.md §5) and without progress bars."""
    for name in ("great_expectations", "great_expectations._docs_decorators",
                 "great_expectations.expectations.registry"):
        logging.getLogger(name).setLevel(logging.WARNING)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


def load_gx_suites(gx_dir: str | os.PathLike | None = None) -> list[dict]:
    d = Path(gx_dir) if gx_dir else EXPECTATIONS_DIR / "gx"
    suites = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(d.glob("*.json"))]
    if not suites:
        raise FileNotFoundError(f"no GX suites (*.json) in {d}")
    return suites


def _reference_codes(csv_path: str | os.PathLike | None) -> dict[str, list[str]]:
    import csv

    p = Path(csv_path) if csv_path else REFERENCE_MUNICIPALITIES_CSV
    with open(p, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    muni = sorted({r["kommun_kod"].strip() for r in rows})
    county = sorted({r["lan_kod"].strip() for r in rows})
    if len(muni) < 200 or not county:
        raise ValueError(f"reference list {p} looks wrong: {len(muni)} municipalities, {len(county)} counties")
    return {"reference_municipality_codes": muni, "reference_county_codes": county}


class _GxRunner:
    """One ephemeral GX context per gate run; validates DataFrames."""

    def __init__(self) -> None:
        gx = _quiet_gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.gx = gx
        self.ctx = gx.get_context(mode="ephemeral")
        try:
            self.ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        except Exception:  # noqa: BLE001 - cosmetic only
            pass
        self.ds = self.ctx.data_sources.add_pandas("jamstat_candidate")

    def suite_from_json(self, spec: dict):
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        suite = self.gx.ExpectationSuite(name=spec["name"])
        for e in spec["expectations"]:
            conf = ExpectationConfiguration(type=e["type"], kwargs=dict(e["kwargs"]), meta=e.get("meta") or {})
            suite.add_expectation(conf.to_domain_obj())
        return self.ctx.suites.add(suite)

    def validate(self, name: str, spec: dict, df, params: dict | None, id_columns: list[str]):
        suite = self.suite_from_json(spec)
        asset = self.ds.add_dataframe_asset(name)
        bd = asset.add_batch_definition_whole_dataframe(f"{name}_all")
        vd = self.ctx.validation_definitions.add(self.gx.ValidationDefinition(name=f"{name}_vd", data=bd, suite=suite))
        ids = [c for c in id_columns if c in df.columns]
        rf = {"result_format": "SUMMARY", "partial_unexpected_count": 20}
        if ids:
            rf["unexpected_index_column_names"] = ids
        return vd.run(batch_parameters={"dataframe": df}, expectation_parameters=params or {}, result_format=rf)


def _gx_check_name(suite: str, conf: dict, meta: dict) -> str:
    kw = conf.get("kwargs", {})
    col = kw.get("column") or kw.get("column_list") or (
        f"{kw['column_A']},{kw['column_B']}" if "column_A" in kw else None)
    if isinstance(col, list):
        col = ",".join(col)
    name = f"gx:{suite}:{conf.get('type')}" + (f"({col})" if col else "")
    if meta.get("range"):
        name += f" [{meta['range']}]"
    elif kw.get("row_condition"):
        rc = kw["row_condition"]
        rc = rc.get("pass_through_filter", rc) if isinstance(rc, dict) else rc
        name += f" [where {rc}]"
    return name


def _gx_checks_from_result(suite: str, dataset: str | None, vres) -> list[Check]:
    out = []
    for er in vres.results:
        conf = er.expectation_config.to_json_dict()
        meta = conf.get("meta") or {}
        kw = {k: v for k, v in (conf.get("kwargs") or {}).items() if k not in ("batch_id",)}
        if isinstance(kw.get("row_condition"), dict):
            kw["row_condition"] = kw["row_condition"].get("pass_through_filter", kw["row_condition"])
        if isinstance(kw.get("value_set"), (list, tuple)) and len(kw["value_set"]) > 12:
            vs = list(kw["value_set"])
            kw["value_set"] = vs[:10] + [f"... {len(vs)} values"]
        r = er.result or {}
        exc = er.exception_info or {}
        raised = exc.get("raised_exception") if isinstance(exc, dict) else False
        name = _gx_check_name(suite, conf, meta)
        if raised:
            out.append(Check(name, False, ERROR, observed=None, expected=kw, dataset=dataset,
                             message=f"expectation raised: {exc.get('exception_message')}"))
            continue
        failing = r.get("unexpected_count")
        if "observed_value" in r:
            observed = r["observed_value"]
        elif failing is not None:
            observed = {"unexpected_count": failing, "element_count": r.get("element_count"),
                        "unexpected_values": (r.get("partial_unexpected_list") or [])[:MAX_EXAMPLES]}
        else:
            observed = r or None
        examples = r.get("partial_unexpected_index_list") or r.get("partial_unexpected_list") or []
        status = PASSED if er.success else FAILED
        msg = None if er.success else (meta.get("notes") or None)
        out.append(Check(name, bool(er.success), status, observed=observed, expected=kw,
                         failing_rows=int(failing) if failing is not None else None,
                         examples=[_jsonable(e) for e in examples[:MAX_EXAMPLES]], dataset=dataset, message=msg))
    return out


def _run_static_suite(gx_runner: _GxRunner, con, spec: dict, params: dict, res: GateResult) -> None:
    import pandas as pd

    j = spec.get("meta", {}).get("jamstat", {})
    suite, table = spec["name"], j["table"]
    schema, tname = table.split(".", 1)
    required = j.get("required_columns") or []
    cols = _table_columns(con, schema, tname)
    # schema: validated by GX on the column list, so drift is named as a check
    sres = gx_runner.validate(
        f"{suite}__schema",
        {"name": f"{suite}__schema", "expectations": [
            {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "column_name", "value_set": cols}},
            {"type": "expect_column_distinct_values_to_contain_set",
             "kwargs": {"column": "column_name", "value_set": required}}]},
        pd.DataFrame({"column_name": pd.Series(cols, dtype="object")}), None, [])
    contain = sres.results[1]
    missing = sorted(set(required) - set(cols))
    res.checks.append(Check(
        f"gx:{suite}:schema(required columns)", bool(contain.success) and not missing,
        PASSED if contain.success and not missing else FAILED,
        observed={"columns": cols, "missing": missing} if cols else f"table {table} does not exist",
        expected={"required_columns": required}, failing_rows=None, dataset=table,
        message=None if not missing else (f"{table}: missing column(s) {missing}" if cols
                                           else f"table {table} does not exist")))
    if not cols:
        res.add_error(f"suite {suite}: table {table} does not exist, data expectations not run")
        return
    if missing:
        res.checks.append(Check(f"gx:{suite}:data expectations", False, ERROR,
                                observed=f"not run: missing column(s) {missing}", dataset=table,
                                message=f"suite {suite} not run because {table} lacks {missing}"))
        return
    df = con.execute(j["query"]).df()
    vres = gx_runner.validate(suite, spec, df, params, j.get("id_columns") or [])
    checks = _gx_checks_from_result(suite, table, vres)
    if not checks:
        res.add_error(f"suite {suite}: GX evaluated no expectations")
    res.checks.extend(checks)


def _previous_row_counts(con, alias: str, cand_tables: list[str], prev_tables: list[str], max_row_drop: float):
    import pandas as pd

    rows = []
    for t in sorted(set(prev_tables) - set(NOT_COMPARED_TABLES)):
        prev_n = con.execute(f'SELECT count(*) FROM "{alias}".marts."{t}"').fetchone()[0]
        cand_n = con.execute(f'SELECT count(*) FROM marts."{t}"').fetchone()[0] if t in cand_tables else 0
        rows.append({"mart": t, "candidate_rows": int(cand_n), "previous_rows": int(prev_n),
                     "min_allowed_rows": int(math.ceil(prev_n * (1 - max_row_drop))),
                     "in_candidate": t in cand_tables})
    return pd.DataFrame(rows, columns=["mart", "candidate_rows", "previous_rows", "min_allowed_rows", "in_candidate"])


def _distribution_shift(con, alias: str, min_common_rows: int, indicators: Iterable[str] | None):
    df = con.execute(f"""
        SELECT c.indicator_id, count(*) AS common_rows, avg(p.value) AS previous_mean, avg(c.value) AS candidate_mean
        FROM marts.fct_indicator_value c
        JOIN "{alias}".marts.fct_indicator_value p
          ON p.indicator_id = c.indicator_id AND p.area_code = c.area_code AND p.period = c.period AND p.sex = c.sex
        WHERE c.value IS NOT NULL AND p.value IS NOT NULL
        GROUP BY c.indicator_id HAVING count(*) >= ? ORDER BY c.indicator_id""", [int(min_common_rows)]).df()
    if indicators is not None:
        df = df[df["indicator_id"].isin(list(indicators))]
    denom = df["previous_mean"].abs().clip(lower=1e-9)
    df["rel_change"] = (df["candidate_mean"] - df["previous_mean"]) / denom
    return df.reset_index(drop=True)


def run_gx_gate(candidate_path: str | os.PathLike, *, previous_published_path: str | os.PathLike | None = None,
                gx_dir: str | os.PathLike | None = None, reference_csv: str | os.PathLike | None = None,
                max_row_drop: float = DEFAULT_MAX_ROW_DROP, shift_tolerance: float = DEFAULT_SHIFT_TOLERANCE,
                shift_indicators: Iterable[str] | None = None, min_common_rows: int = 1,
                suites: Iterable[str] | None = None) -> GateResult:
    """GX 1.x suites (expectations/gx/*.json) on DataFrames pulled read-only from the candidate.

    previous_published_path: the last published warehouse (schema marts). None or missing file -> the
    row-count and distribution-shift checks are SKIPPED and recorded as skipped.
    max_row_drop: fraction of a mart's rows that may disappear vs the previous publication (default 0.5).
    shift_tolerance: allowed |relative change| of an indicator's mean over common keys (default 0.25).
    shift_indicators: limit the shift check to these indicator_ids (default: all in both).
    suites: run only these suite names (default: all).
    """
    t0 = time.perf_counter()
    res = GateResult("great_expectations", candidate_path=str(candidate_path),
                     started_at=datetime.now(UTC).isoformat())
    res.details.update(previous_published_path=str(previous_published_path) if previous_published_path else None,
                       max_row_drop=max_row_drop, shift_tolerance=shift_tolerance)
    con = None
    try:
        specs = load_gx_suites(gx_dir)
        if suites is not None:
            wanted = set(suites)
            specs = [s for s in specs if s["name"] in wanted]
        con = _connect_ro(candidate_path)
        runner = _GxRunner()
        import great_expectations as gx

        res.details["gx_version"] = gx.__version__
        params = _reference_codes(reference_csv)
        cand_tables = _tables(con, "marts")
        for spec in specs:
            j = spec.get("meta", {}).get("jamstat", {})
            if "dynamic" in j:
                continue
            try:
                _run_static_suite(runner, con, spec, params, res)
            except Exception as exc:  # noqa: BLE001 - one broken suite fails the gate, the others still report
                res.checks.append(Check(f"gx:{spec['name']}:suite", False, ERROR, dataset=j.get("table"),
                                        message=f"{type(exc).__name__}: {exc}"))
                res.add_error(f"suite {spec['name']} could not run: {type(exc).__name__}: {exc}")

        dyn = {s["meta"]["jamstat"]["dynamic"]: s for s in specs if "dynamic" in s.get("meta", {}).get("jamstat", {})}
        prev = Path(previous_published_path) if previous_published_path else None
        if prev is None or not prev.is_file():
            why = ("no previous publication" if prev is None else f"no previous publication at {prev}")
            for name in dyn:
                res.checks.append(Check(f"gx:{name}", True, SKIPPED, dataset="marts (vs previous publication)",
                                        message=f"skipped: {why}"))
        else:
            alias = "jamstat_previous_publication"
            con.execute(f"ATTACH '{prev.as_posix()}' AS \"{alias}\" (READ_ONLY)")
            prev_tables = _tables(con, "marts", alias)
            res.details["previous_marts"] = prev_tables
            if "publication_row_counts" in dyn:
                df = _previous_row_counts(con, alias, cand_tables, prev_tables, max_row_drop)
                if df.empty:
                    res.checks.append(Check("gx:publication_row_counts", True, SKIPPED,
                                            message="previous publication has no marts to compare"))
                else:
                    spec = dyn["publication_row_counts"]
                    vres = runner.validate("publication_row_counts", spec, df, {},
                                           spec["meta"]["jamstat"]["id_columns"])
                    checks = _gx_checks_from_result("publication_row_counts", "marts", vres)
                    for c in checks:
                        c.expected = {"max_row_drop": max_row_drop, **(c.expected or {})}
                        c.observed = {"marts": df.to_dict(orient="records"), **(c.observed if isinstance(c.observed, dict) else {})}
                        if not c.success:
                            bad = df[df["candidate_rows"] < df["min_allowed_rows"]]
                            c.examples = _jsonable(bad.to_dict(orient="records"))[:MAX_EXAMPLES]
                            c.message = "mart(s) lost more than {:.0%} of their rows vs the previous publication: {}".format(
                                max_row_drop, ", ".join(f"{r.mart} {r.previous_rows}->{r.candidate_rows}"
                                                        for r in bad.itertuples()))
                    res.checks.extend(checks)
            if "distribution_shift" in dyn:
                if "fct_indicator_value" not in prev_tables or "fct_indicator_value" not in cand_tables:
                    res.checks.append(Check("gx:distribution_shift", True, SKIPPED,
                                            message="fct_indicator_value missing in candidate or previous publication"))
                else:
                    df = _distribution_shift(con, alias, min_common_rows, shift_indicators)
                    if df.empty:
                        res.checks.append(Check("gx:distribution_shift", True, SKIPPED,
                                                message="no indicator has values for common keys in both"))
                    else:
                        spec = dyn["distribution_shift"]
                        vres = runner.validate("distribution_shift", spec, df,
                                               {"shift_tolerance": shift_tolerance,
                                                "neg_shift_tolerance": -shift_tolerance},
                                               spec["meta"]["jamstat"]["id_columns"])
                        checks = _gx_checks_from_result("distribution_shift", "marts.fct_indicator_value", vres)
                        for c in checks:
                            c.observed = {"indicators_compared": int(len(df)),
                                          "max_abs_rel_change": float(df["rel_change"].abs().max()),
                                          **(c.observed if isinstance(c.observed, dict) else {})}
                            if not c.success:
                                c.message = (f"mean of value over common keys moved more than {shift_tolerance:.0%} "
                                             "vs the previous publication")
                        res.checks.extend(checks)
    except Exception as exc:  # noqa: BLE001 - a gate that cannot run fails
        res.add_error(f"{type(exc).__name__}: {exc}")
    finally:
        if con is not None:
            con.close()
    return res.finalize(t0)


# --------------------------------------------------------------------------------------------------------------
# Soda gate
# --------------------------------------------------------------------------------------------------------------
SODA_DATASOURCE_NAME = "jamstat_candidate"


def render_soda_datasource(candidate_path: str | os.PathLike, target_dir: str | os.PathLike,
                           template: str | os.PathLike | None = None) -> Path:
    tpl = Path(template) if template else EXPECTATIONS_DIR / "soda" / "datasource.template.yml"
    text = tpl.read_text(encoding="utf-8")
    if "${CANDIDATE_PATH}" not in text:
        raise ValueError(f"{tpl} has no ${{CANDIDATE_PATH}} placeholder")
    out = Path(target_dir) / "datasource.yml"
    out.write_text(text.replace("${CANDIDATE_PATH}", json.dumps(str(Path(candidate_path).resolve()))),
                   encoding="utf-8")
    return out


def _soda_threshold_text(th) -> dict | None:
    if th is None:
        return None
    d = {k: v for k, v in vars(th).items() if v is not None and k != "level"}
    return d or None


def _soda_check_to_check(table: str, cr) -> Check:
    chk = cr.check
    col = f"({chk.column_name})" if chk.column_name else ""
    default_names = {"No missing values", "No duplicate values", "No invalid values", "Schema matches expected structure",
                     "Row count meets expected threshold", "Data is fresh"}
    label = f" {chk.name}" if chk.name and chk.name not in default_names else ""
    name = f"soda:{table}:{chk.type}{col}{label}"
    outcome = getattr(cr.outcome, "name", str(cr.outcome)).upper()
    status = {"PASSED": PASSED, "WARN": WARNED, "WARNED": WARNED, "FAILED": FAILED, "EXCLUDED": SKIPPED}.get(outcome, ERROR)
    diag = dict(cr.diagnostic_metric_values or {})
    failing = None
    for k in ("invalid_count", "missing_count", "duplicate_count"):
        if chk.type in k and diag.get(k) is not None:
            failing = int(diag[k])
    observed: Any = diag or cr.threshold_value
    message = None
    if chk.type == "schema":
        observed = {
            "missing_columns": list(getattr(cr, "expected_column_names_not_actual", []) or []),
            "unexpected_columns": list(getattr(cr, "actual_column_names_not_expected", []) or []),
            "type_mismatches": [str(m) for m in (getattr(cr, "column_data_type_mismatches", []) or [])],
            "out_of_order": bool(getattr(cr, "are_columns_out_of_order", False)),
        }
        if status != PASSED:
            message = f"schema drift in {table}: " + "; ".join(f"{k}={v}" for k, v in observed.items() if v)
    elif chk.type == "freshness":
        observed = {"max_timestamp": _jsonable(getattr(cr, "max_timestamp_utc", None)),
                    "reference_time": _jsonable(getattr(cr, "data_timestamp_utc", None)),
                    "freshness": getattr(cr, "freshness", None), **diag}
    elif chk.type == "row_count":
        observed = {"row_count": cr.threshold_value, **diag}
    if chk.type == "freshness" and status in (FAILED, WARNED):
        th = _soda_threshold_text(chk.threshold if status == FAILED else getattr(chk, "warn_threshold", None)) or {}
        message = (f"{table}: newest {getattr(cr.check, 'column_name', None) or 'timestamp'} "
                   f"{_jsonable(getattr(cr, 'max_timestamp_utc', None))} is {getattr(cr, 'freshness', '?')} old "
                   f"at {_jsonable(getattr(cr, 'data_timestamp_utc', None))}; threshold {th}")
    if status == ERROR:
        message = f"check not evaluated (outcome {outcome})"
    elif status == FAILED and message is None:
        message = f"{chk.type} check failed on {table}" + (f" column {chk.column_name}" if chk.column_name else "")
    expected = {"threshold": _soda_threshold_text(chk.threshold)}
    if getattr(chk, "warn_threshold", None) is not None:
        expected["warn_threshold"] = _soda_threshold_text(chk.warn_threshold)
    return Check(name, status in (PASSED, WARNED, SKIPPED), status, observed=_jsonable(observed),
                 expected=_jsonable(expected), failing_rows=failing, dataset=f"marts.{table}", message=message)


def _soda_examples(con, table: str, contract: dict, check: Check) -> list:
    """Best effort: a few failing rows for missing/duplicate/invalid checks, read-only SQL."""
    parts = check.check.split(":", 2)[2]
    ctype = parts.split("(", 1)[0].split(" ", 1)[0]
    col = parts.split("(", 1)[1].split(")", 1)[0] if "(" in parts else None
    q = f'marts."{table}"'
    if ctype == "missing" and col:
        return con.execute(f'SELECT * FROM {q} WHERE "{col}" IS NULL LIMIT {MAX_EXAMPLES}').df().to_dict("records")
    if ctype == "duplicate":
        cols = [col] if col else next((c["duplicate"].get("columns") for c in contract.get("checks") or []
                                       if isinstance(c, dict) and isinstance(c.get("duplicate"), dict)), None)
        if cols:
            cl = ", ".join(f'"{c}"' for c in cols)
            return con.execute(f"SELECT {cl}, count(*) AS n_rows FROM {q} GROUP BY ALL HAVING count(*) > 1 "
                               f"LIMIT {MAX_EXAMPLES}").df().to_dict("records")
    if ctype == "invalid" and col:
        spec_col = next((c for c in contract.get("columns") or [] if c.get("name") == col), {})
        for c in spec_col.get("checks") or []:
            inv = c.get("invalid") if isinstance(c, dict) else None
            if not isinstance(inv, dict):
                continue
            if inv.get("name") and inv["name"] not in check.check:
                continue
            conds = []
            if "valid_values" in inv:
                vals = ", ".join("'" + str(v).replace("'", "''") + "'" for v in inv["valid_values"])
                conds.append(f'"{col}" NOT IN ({vals})')
            if "valid_min" in inv:
                conds.append(f'"{col}" < {float(inv["valid_min"])}')
            if "valid_max" in inv:
                conds.append(f'"{col}" > {float(inv["valid_max"])}')
            if "valid_format" in inv:
                rx = str(inv["valid_format"]["regex"]).replace("'", "''")
                conds.append(f"NOT regexp_full_match(\"{col}\", '{rx}')")
            ref = inv.get("valid_reference_data")
            if ref:
                rtable = ref["dataset"].split("/")[-1]
                conds.append(f'"{col}" NOT IN (SELECT "{ref["column"]}" FROM marts."{rtable}" '
                             f'WHERE "{ref["column"]}" IS NOT NULL)')
            if not conds:
                continue
            where = f'"{col}" IS NOT NULL AND ({" OR ".join(conds)})'
            if inv.get("filter"):
                where += f" AND ({inv['filter']})"
            return con.execute(f"SELECT * FROM {q} WHERE {where} LIMIT {MAX_EXAMPLES}").df().to_dict("records")
    return []


def run_soda_gate(candidate_path: str | os.PathLike, *, contracts_dir: str | os.PathLike | None = None,
                  now: datetime | None = None, contracts: Iterable[str] | None = None) -> GateResult:
    """Soda v4 contracts (expectations/soda/*.yml except the data-source template) against the candidate.

    now: reference time for freshness checks (default: current UTC time).
    contracts: limit to these contract file stems (default: all).
    """
    t0 = time.perf_counter()
    res = GateResult("soda", candidate_path=str(candidate_path), started_at=datetime.now(UTC).isoformat())
    os.environ["SODA_CORE_TELEMETRY_ENABLED"] = "false"  # mandatory (stack.md §6): no OTLP export attempts
    os.environ.setdefault("DO_NOT_TRACK", "1")
    ref = _utc(now)
    res.details["reference_time"] = ref.isoformat()
    con = None
    try:
        import yaml

        cdir = Path(contracts_dir) if contracts_dir else EXPECTATIONS_DIR / "soda"
        files = sorted(p for p in cdir.glob("*.yml") if not p.name.startswith("datasource"))
        if contracts is not None:
            wanted = set(contracts)
            files = [p for p in files if p.stem in wanted]
        if not files:
            raise FileNotFoundError(f"no Soda contracts in {cdir}")
        con = _connect_ro(candidate_path)  # fails fast on a missing or unreadable file; also used for examples
        for name in ("soda_core", "soda"):
            logging.getLogger(name).setLevel(logging.WARNING)
        from soda_core.contracts import verify_contract_locally

        res.details["contracts"] = [p.name for p in files]
        with tempfile.TemporaryDirectory(prefix="jamstat_soda_") as tmp:
            ds_file = render_soda_datasource(candidate_path, tmp, cdir / "datasource.template.yml")
            for cf in files:
                contract = yaml.safe_load(cf.read_text(encoding="utf-8")) or {}
                table = str(contract.get("dataset", cf.stem)).split("/")[-1]
                try:
                    session = verify_contract_locally(data_source_file_path=str(ds_file), contract_file_path=str(cf),
                                                      data_timestamp=ref.isoformat())
                except Exception as exc:  # noqa: BLE001
                    res.checks.append(Check(f"soda:{table}:contract", False, ERROR, dataset=f"marts.{table}",
                                            message=f"{type(exc).__name__}: {exc}"))
                    res.add_error(f"contract {cf.name} could not run: {type(exc).__name__}: {exc}")
                    continue
                n_before = len(res.checks)
                for cvr in session.contract_verification_results:
                    for cr in cvr.check_results:
                        c = _soda_check_to_check(table, cr)
                        if c.status in (FAILED, WARNED, ERROR):
                            try:
                                c.examples = _jsonable(_soda_examples(con, table, contract, c))[:MAX_EXAMPLES]
                            except Exception as exc:  # noqa: BLE001 - examples are best effort
                                log.debug("no examples for %s: %s", c.check, exc)
                        res.checks.append(c)
                errors = session.get_errors_str() if session.has_errors else ""
                if errors:
                    res.add_error(f"contract {cf.name}: {errors.strip()[:1500]}")
                    if len(res.checks) == n_before:
                        res.checks.append(Check(f"soda:{table}:contract", False, ERROR, dataset=f"marts.{table}",
                                                message=errors.strip()[:500]))
                if len(res.checks) == n_before:
                    res.checks.append(Check(f"soda:{table}:contract", False, ERROR, dataset=f"marts.{table}",
                                            message="contract evaluated no checks"))
                    res.add_error(f"contract {cf.name}: no checks evaluated")
                elif not (session.is_ok or session.is_warned) and all(c.success for c in res.checks[n_before:]):
                    # Soda says not ok but every parsed check passed: never let that pass silently
                    res.add_error(f"contract {cf.name}: Soda reports the verification as not ok")
    except Exception as exc:  # noqa: BLE001 - a gate that cannot run fails
        res.add_error(f"{type(exc).__name__}: {exc}")
    finally:
        if con is not None:
            con.close()
    return res.finalize(t0)


# --------------------------------------------------------------------------------------------------------------
# Summary and report
# --------------------------------------------------------------------------------------------------------------
_MARK = {PASSED: "ok", FAILED: "FAIL", WARNED: "WARN", SKIPPED: "skip", ERROR: "ERROR"}


# dbt's run_results vocabulary, mapped onto ours (the dbt gate records every test node as a check).
_DBT_STATUS = {"pass": PASSED, "success": PASSED, "fail": FAILED, "warn": WARNED, "skipped": SKIPPED,
               "error": ERROR, "runtime error": ERROR}


def _check_status(c: Mapping) -> str:
    s = c.get("status")
    if s in _MARK:
        return s
    if s in _DBT_STATUS:
        return _DBT_STATUS[s]
    return PASSED if c.get("success") else FAILED


def _short(v: Any, n: int = 160) -> str:
    s = json.dumps(_jsonable(v), ensure_ascii=False, default=str) if not isinstance(v, str) else v
    return s if len(s) <= n else s[: n - 3] + "..."


def summarize(results: Iterable[GateResult | Mapping], *, max_checks_per_gate: int = 8) -> str:
    """One screen of text: verdict, then per gate the failed/errored/warned checks with rows and examples."""
    rs = [_as_dict(r) for r in results]
    failed = [r for r in rs if not r.get("success")]
    lines = [f"QUALITY GATES: {'PASSED' if rs and not failed else 'FAILED'} "
             f"({len(rs) - len(failed)}/{len(rs)} gates passed)"]
    if not rs:
        lines.append("  no gate results")
    for r in rs:
        checks = r.get("checks") or []
        cnt: dict[str, int] = {}
        for c in checks:
            cnt[_check_status(c)] = cnt.get(_check_status(c), 0) + 1
        dur = r.get("duration_s")
        lines.append(f"[{'PASS' if r.get('success') else 'FAIL'}] {r.get('gate')}"
                     + (f" {float(dur):.1f}s" if dur is not None else "")
                     + f" — {len(checks)} checks: " + ", ".join(f"{v} {k}" for k, v in sorted(cnt.items())))
        if r.get("error"):
            err = str(r["error"]).strip().splitlines()
            lines.append(f"    error: {err[0][:200]}" + (f" (+{len(err) - 1} more lines)" if len(err) > 1 else ""))
        bad = [c for c in checks if _check_status(c) in (FAILED, ERROR, WARNED)]
        bad.sort(key=lambda c: {FAILED: 0, ERROR: 1, WARNED: 2}.get(_check_status(c), 3))
        for c in bad[:max_checks_per_gate]:
            rows = c.get("failing_rows")
            lines.append(f"  {_MARK[_check_status(c)]:>5} {c.get('check')}"
                         + (f" — {rows} row(s)" if rows is not None else ""))
            if c.get("message"):
                lines.append(f"        {_short(c['message'], 200)}")
            else:
                lines.append(f"        observed {_short(c.get('observed'), 120)}; expected {_short(c.get('expected'), 80)}")
            for ex in (c.get("examples") or [])[:2]:
                lines.append(f"        e.g. {_short(ex, 180)}")
        if len(bad) > max_checks_per_gate:
            lines.append(f"  ... and {len(bad) - max_checks_per_gate} more (see the quality report)")
    return "\n".join(lines)


def _md(v: Any, n: int = 300) -> str:
    return _short(v, n).replace("|", "\\|").replace("\n", " ")


def write_report(results: Iterable[GateResult | Mapping], path: str | os.PathLike, *, title: str | None = None) -> Path:
    """Human-readable Markdown quality report: verdict, gate table, every check, examples of failures."""
    rs = [_as_dict(r) for r in results]
    ok = bool(rs) and all(r.get("success") for r in rs)
    out = [f"# {title or 'jamstat quality report'}", "",
           f"Generated {datetime.now(UTC).isoformat(timespec='seconds')}. "
           f"Verdict: **{'PASSED — publishable' if ok else 'FAILED — not publishable'}**.", ""]
    if rs and rs[0].get("candidate_path"):
        out += [f"Candidate: `{rs[0]['candidate_path']}`", ""]
    out += ["| gate | result | checks | passed | warned | failed | errors | skipped | duration |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in rs:
        checks = r.get("checks") or []
        cnt = {s: sum(1 for c in checks if _check_status(c) == s) for s in (PASSED, WARNED, FAILED, ERROR, SKIPPED)}
        dur = r.get("duration_s")
        out.append(f"| {r.get('gate')} | {'PASS' if r.get('success') else '**FAIL**'} | {len(checks)} | {cnt[PASSED]} | "
                   f"{cnt[WARNED]} | {cnt[FAILED]} | {cnt[ERROR]} | {cnt[SKIPPED]} | "
                   f"{'' if dur is None else f'{float(dur):.1f}s'} |")
    for r in rs:
        checks = r.get("checks") or []
        out += ["", f"## {r.get('gate')}: {'PASS' if r.get('success') else 'FAIL'}", ""]
        if r.get("error"):
            out += ["Error (the gate could not run completely, which fails it):", "", "```",
                    str(r["error"]).strip()[:4000], "```", ""]
        attention = [c for c in checks if _check_status(c) in (FAILED, ERROR, WARNED)]
        if attention:
            out += ["### Needs attention", ""]
            for c in attention:
                out.append(f"- **{_MARK[_check_status(c)]}** `{c.get('check')}`"
                           + (f" — {c['failing_rows']} row(s)" if c.get("failing_rows") is not None else ""))
                if c.get("message"):
                    out.append(f"  - {_md(c['message'], 500)}")
                out.append(f"  - observed: `{_md(c.get('observed'), 400)}`")
                out.append(f"  - expected: `{_md(c.get('expected'), 400)}`")
                for ex in (c.get("examples") or [])[:MAX_EXAMPLES]:
                    out.append(f"  - example: `{_md(ex, 400)}`")
            out.append("")
        if checks:
            out += ["### All checks", "", "| status | check | failing rows | observed |", "|---|---|---|---|"]
            for c in checks:
                rows = c.get("failing_rows")
                obs = c.get("message") if _check_status(c) == SKIPPED else c.get("observed")
                out.append(f"| {_MARK[_check_status(c)]} | `{_md(c.get('check'), 200)}` | "
                           f"{'' if rows is None else rows} | {_md(obs, 160)} |")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("\n".join(out) + "\n", encoding="utf-8")
    return p


# --------------------------------------------------------------------------------------------------------------
# Contract maintenance helper
# --------------------------------------------------------------------------------------------------------------
def dbt_model_columns(model: str, *, catalog_path: str | os.PathLike | None = None,
                      manifest_path: str | os.PathLike | None = None) -> list[tuple[str, str | None]]:
    """(column, data_type) of a dbt model from target/catalog.json (actual types) or manifest.json (declared)."""
    if catalog_path:
        cat = json.loads(Path(catalog_path).read_text(encoding="utf-8"))
        for uid, node in cat.get("nodes", {}).items():
            if uid.startswith("model.") and uid.split(".")[-1] == model:
                cols = sorted(node["columns"].values(), key=lambda c: c.get("index", 0))
                return [(c["name"], (c.get("type") or "").lower() or None) for c in cols]
    if manifest_path:
        man = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
        for uid, node in man.get("nodes", {}).items():
            if uid.startswith("model.") and node.get("name") == model:
                return [(c["name"], (c.get("data_type") or "").lower() or None) for c in node["columns"].values()]
    raise KeyError(f"model {model!r} not found in {catalog_path or manifest_path}")


def refresh_contract_columns(contract_path: str | os.PathLike, columns: list[tuple[str, str | None]], *,
                             write: bool = True) -> str:
    """Rewrite the `columns:` list of a Soda contract to `columns` (dbt order), keeping each surviving column's
    checks and comments; data_type is refreshed only where the contract already declares one. Returns the text."""
    import io

    from ruamel.yaml import YAML

    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    p = Path(contract_path)
    doc = y.load(p.read_text(encoding="utf-8"))
    old = {c["name"]: c for c in doc.get("columns") or []}
    typed = any("data_type" in c for c in old.values())
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    new = CommentedSeq()
    for name, dtype in columns:
        entry = old.get(name) or CommentedMap([("name", name)])
        if typed and dtype:
            entry["data_type"] = dtype
        new.append(entry)
    doc["columns"] = new
    buf = io.StringIO()
    y.dump(doc, buf)
    text = buf.getvalue()
    if write:
        p.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    """CLI: gates against a file, or refresh a contract's columns from dbt artifacts."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m ingest.quality")
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("run", help="run gates against a candidate file")
    g.add_argument("candidate")
    g.add_argument("--previous")
    g.add_argument("--gates", default="freshness,great_expectations,soda")
    g.add_argument("--report")
    r = sub.add_parser("refresh-contract", help="refresh a Soda contract's columns from dbt catalog/manifest")
    r.add_argument("contract")
    r.add_argument("--catalog")
    r.add_argument("--manifest")
    r.add_argument("--model")
    args = ap.parse_args(argv)
    if args.cmd == "refresh-contract":
        model = args.model or Path(args.contract).stem
        cols = dbt_model_columns(model, catalog_path=args.catalog, manifest_path=args.manifest)
        refresh_contract_columns(args.contract, cols)
        print(f"{args.contract}: {len(cols)} columns from {args.catalog or args.manifest}")
        return 0
    runners = {"freshness": lambda: run_freshness_gate(args.candidate),
               "great_expectations": lambda: run_gx_gate(args.candidate, previous_published_path=args.previous),
               "soda": lambda: run_soda_gate(args.candidate)}
    results = [runners[n.strip()]() for n in args.gates.split(",") if n.strip()]
    print(summarize(results))
    if args.report:
        write_report(results, args.report)
    return 0 if all(x.success for x in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
