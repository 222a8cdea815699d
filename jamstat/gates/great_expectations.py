"""Great Expectations gate: the GX 1.x suites in expectations/gx/ on raw.observations, raw.batches and the
marts, plus row-count bounds and distribution shift against the previous publication. The static suites run in
SQL inside DuckDB through GX's SQL execution engine: each suite's read-only query (joins such as unit by
dim_indicator happen there) is a GX query asset on the candidate file (jamstat/gates/gx_duckdb.py), so no table is
pulled into Python. The small tables built at run time (the column list, row counts, per-indicator means) are
validated as pandas DataFrames."""
from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from jamstat.gates.candidate_reader import connect_read_only, table_columns, tables
from jamstat.gates.result import ERROR, FAILED, MAX_EXAMPLES, PASSED, SKIPPED, Check, GateResult, jsonable
from jamstat.settings import REPO_ROOT

log = logging.getLogger(__name__)

EXPECTATIONS_DIR = REPO_ROOT / "expectations"
REFERENCE_MUNICIPALITIES_CSV = REPO_ROOT / "dbt_project" / "seeds" / "reference" / "kommuner_290_crosschecked.csv"
NOT_COMPARED_TABLES = ("publications",)  # the publish audit table grows by itself; not a mart
DEFAULT_MAX_ROW_DROP = 0.5        # a mart that lost more than half of its rows vs the last publication fails
DEFAULT_SHIFT_TOLERANCE = 0.25    # |relative change| of an indicator's mean over common keys


def _quiet_gx():
    """Import GX without the INFO flood (it logs every expectation at INFO) and without progress bars."""
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
    """One ephemeral GX context per gate run: suites on SQL queries against the candidate, or on small DataFrames."""

    def __init__(self, candidate_path: str | os.PathLike) -> None:
        gx = _quiet_gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.gx = gx
        self.ctx = gx.get_context(mode="ephemeral")
        try:
            self.ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        except Exception:  # noqa: BLE001 - cosmetic only
            pass
        self.frames = self.ctx.data_sources.add_pandas("jamstat_frames")
        self.candidate_path = candidate_path
        self.sql = None  # added by the first query: GX connects to a SQL data source as soon as it is added

    def suite_from_json(self, spec: dict):
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        suite = self.gx.ExpectationSuite(name=spec["name"])
        for e in spec["expectations"]:
            conf = ExpectationConfiguration(type=e["type"], kwargs=dict(e["kwargs"]), meta=e.get("meta") or {})
            suite.add_expectation(conf.to_domain_obj())
        return self.ctx.suites.add(suite)

    def _run(self, name: str, spec: dict, batch_definition, params: dict | None, result_format: dict, **batch):
        """The suite's results, in the suite's order."""
        suite = self.suite_from_json(spec)
        vd = self.ctx.validation_definitions.add(
            self.gx.ValidationDefinition(name=f"{name}_vd", data=batch_definition, suite=suite))
        results = vd.run(expectation_parameters=params or {}, result_format=result_format, **batch).results
        order = {e.id: i for i, e in enumerate(suite.expectations)}
        return sorted(results, key=lambda er: order.get(er.expectation_config.id, len(order)))

    def validate_query(self, name: str, spec: dict, query: str, params: dict | None, id_columns: list[str]):
        """The suite evaluated by DuckDB on the rows of `query`. It counts first and fetches failing rows (with
        their id_columns) only for the expectations that failed: each fetch is a full scan when no row fails."""
        if self.sql is None:
            from jamstat.gates import gx_duckdb

            self.sql = self.ctx.data_sources.add_sql(
                "jamstat_candidate", connection_string=gx_duckdb.connection_string(self.candidate_path))
        bd = self.sql.add_query_asset(name, query=query).add_batch_definition_whole_table(f"{name}_all")
        results = self._run(name, spec, bd, params, {"result_format": "BASIC", "partial_unexpected_count": 0})
        failing = [i for i, er in enumerate(results) if not er.success]
        if failing:
            again = {"name": f"{name}__failing", "expectations": [spec["expectations"][i] for i in failing]}
            for i, er in zip(failing, self._run(again["name"], again, bd, params, _summary(id_columns)), strict=True):
                results[i] = er
        return results

    def validate(self, name: str, spec: dict, df, params: dict | None, id_columns: list[str]):
        bd = self.frames.add_dataframe_asset(name).add_batch_definition_whole_dataframe(f"{name}_all")
        return self._run(name, spec, bd, params, _summary([c for c in id_columns if c in df.columns]),
                         batch_parameters={"dataframe": df})

    def close(self) -> None:
        """Release the candidate file: the publish step moves it once the gates are done."""
        if self.sql is not None:
            self.sql.get_execution_engine().close()
            self.sql.get_engine().dispose()


def _summary(id_columns: list[str]) -> dict:
    rf = {"result_format": "SUMMARY", "partial_unexpected_count": 20}
    return {**rf, "unexpected_index_column_names": id_columns} if id_columns else rf


def condition_text(rc) -> str:
    """A row_condition (GX condition dict: a comparison, or an and/or group of them, as the suites write them) as one
    line for check names: unit in ["count", "days"]."""
    if rc.get("type") in ("and", "or"):
        return f" {rc['type']} ".join(condition_text(c) for c in rc["conditions"])
    op = {"IN": "in", "NOT_IN": "not in"}.get(rc["operator"], rc["operator"])
    return f"{rc['column']['name']} {op} {json.dumps(rc['parameter'], ensure_ascii=False)}"


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
        name += f" [where {condition_text(kw['row_condition'])}]"
    return name


def _gx_checks_from_result(suite: str, dataset: str | None, results) -> list[Check]:
    out = []
    for er in results:
        conf = er.expectation_config.to_json_dict()
        meta = conf.get("meta") or {}
        kw = {k: v for k, v in (conf.get("kwargs") or {}).items() if k not in ("batch_id",)}
        if kw.get("row_condition"):
            kw["row_condition"] = condition_text(kw["row_condition"])
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
        # failing rows with the suite's id columns; GX's SQL engine gives multi-column expectations (the grain)
        # only the failing values, which are the key columns themselves
        examples = r.get("partial_unexpected_index_list") or r.get("partial_unexpected_list") or []
        status = PASSED if er.success else FAILED
        msg = None if er.success else (meta.get("notes") or None)
        out.append(Check(name, bool(er.success), status, observed=observed, expected=kw,
                         failing_rows=int(failing) if failing is not None else None,
                         examples=[jsonable(e) for e in examples[:MAX_EXAMPLES]], dataset=dataset, message=msg))
    return out


def _run_static_suite(gx_runner: _GxRunner, con, spec: dict, params: dict, res: GateResult) -> None:
    import pandas as pd

    j = spec.get("meta", {}).get("jamstat", {})
    suite, table = spec["name"], j["table"]
    schema, tname = table.split(".", 1)
    required = j.get("required_columns") or []
    cols = table_columns(con, schema, tname)
    # schema: validated by GX on the column list, so drift is named as a check
    sres = gx_runner.validate(
        f"{suite}__schema",
        {"name": f"{suite}__schema", "expectations": [
            {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "column_name", "value_set": cols}},
            {"type": "expect_column_distinct_values_to_contain_set",
             "kwargs": {"column": "column_name", "value_set": required}}]},
        pd.DataFrame({"column_name": pd.Series(cols, dtype="object")}), None, [])
    contain = sres[1]
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
    # binds the query without running it, so a broken suite is one named error rather than one per expectation
    query_columns = [d[0] for d in con.execute(f"SELECT * FROM ({j['query']}) LIMIT 0").description]
    ids = [c for c in j.get("id_columns") or [] if c in query_columns]
    checks = _gx_checks_from_result(suite, table, gx_runner.validate_query(suite, spec, j["query"], params, ids))
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


def _breakdown_keys(con, alias: str) -> tuple[str, str]:
    """The join on birth region and age group, and the previous side's filter: a publication from before these keys
    holds only totals, so its rows meet the candidate's total rows."""
    prev_cols = {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'marts' "
        "AND table_name = 'fct_indicator_value'", [alias]).fetchall()}
    if {"birth_region", "age_group"} <= prev_cols:
        return " AND p.birth_region = c.birth_region AND p.age_group = c.age_group", ""
    return "", " AND c.birth_region = 'total' AND c.age_group = 'total'"


def _distribution_shift(con, alias: str, min_common_rows: int, indicators: Iterable[str] | None):
    join_keys, only_totals = _breakdown_keys(con, alias)
    df = con.execute(f"""
        SELECT c.indicator_id, count(*) AS common_rows, avg(p.value) AS previous_mean, avg(c.value) AS candidate_mean
        FROM marts.fct_indicator_value c
        JOIN "{alias}".marts.fct_indicator_value p
          ON p.indicator_id = c.indicator_id AND p.area_code = c.area_code AND p.period = c.period AND p.sex = c.sex
             {join_keys}
        WHERE c.value IS NOT NULL AND p.value IS NOT NULL{only_totals}
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
    """GX 1.x suites (expectations/gx/*.json), evaluated in SQL on the candidate opened read-only.

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
    con = runner = None
    try:
        specs = load_gx_suites(gx_dir)
        if suites is not None:
            wanted = set(suites)
            specs = [s for s in specs if s["name"] in wanted]
        con = connect_read_only(candidate_path)
        runner = _GxRunner(candidate_path)
        import great_expectations as gx

        res.details["gx_version"] = gx.__version__
        params = _reference_codes(reference_csv)
        cand_tables = tables(con, "marts")
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
        _compare_with_previous(res, runner, con, dyn, cand_tables,
                               Path(previous_published_path) if previous_published_path else None,
                               max_row_drop=max_row_drop, shift_tolerance=shift_tolerance,
                               shift_indicators=shift_indicators, min_common_rows=min_common_rows)
    except Exception as exc:  # noqa: BLE001 - a gate that cannot run fails
        res.add_error(f"{type(exc).__name__}: {exc}")
    finally:
        if runner is not None:
            runner.close()
        if con is not None:
            con.close()
    return res.finalize(t0)


def _compare_with_previous(res: GateResult, runner: _GxRunner, con, dyn: dict, cand_tables: list[str],
                           prev: Path | None, *, max_row_drop: float, shift_tolerance: float,
                           shift_indicators: Iterable[str] | None, min_common_rows: int) -> None:
    """The dynamic suites: row counts and distribution shift against the previous publication (skipped, and
    recorded as skipped, when there is none)."""
    if prev is None or not prev.is_file():
        why = ("no previous publication" if prev is None else f"no previous publication at {prev}")
        for name in dyn:
            res.checks.append(Check(f"gx:{name}", True, SKIPPED, dataset="marts (vs previous publication)",
                                    message=f"skipped: {why}"))
    else:
        alias = "jamstat_previous_publication"
        con.execute(f"ATTACH '{prev.as_posix()}' AS \"{alias}\" (READ_ONLY)")
        prev_tables = tables(con, "marts", alias)
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
                        c.examples = jsonable(bad.to_dict(orient="records"))[:MAX_EXAMPLES]
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
