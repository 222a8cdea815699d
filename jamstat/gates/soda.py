"""Soda gate: the Soda v4 contracts in expectations/soda/ (schema, row counts, missing values, duplicate keys,
valid values, freshness) against the candidate, opened read-only."""
from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jamstat.gates.candidate_reader import connect_read_only
from jamstat.gates.result import (
    ERROR,
    FAILED,
    MAX_EXAMPLES,
    PASSED,
    SKIPPED,
    WARNED,
    Check,
    GateResult,
    as_utc,
    jsonable,
)
from jamstat.settings import REPO_ROOT

log = logging.getLogger(__name__)

EXPECTATIONS_DIR = REPO_ROOT / "expectations"


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
        observed = {"max_timestamp": jsonable(getattr(cr, "max_timestamp_utc", None)),
                    "reference_time": jsonable(getattr(cr, "data_timestamp_utc", None)),
                    "freshness": getattr(cr, "freshness", None), **diag}
    elif chk.type == "row_count":
        observed = {"row_count": cr.threshold_value, **diag}
    if chk.type == "freshness" and status in (FAILED, WARNED):
        th = _soda_threshold_text(chk.threshold if status == FAILED else getattr(chk, "warn_threshold", None)) or {}
        message = (f"{table}: newest {getattr(cr.check, 'column_name', None) or 'timestamp'} "
                   f"{jsonable(getattr(cr, 'max_timestamp_utc', None))} is {getattr(cr, 'freshness', '?')} old "
                   f"at {jsonable(getattr(cr, 'data_timestamp_utc', None))}; threshold {th}")
    if status == ERROR:
        message = f"check not evaluated (outcome {outcome})"
    elif status == FAILED and message is None:
        message = f"{chk.type} check failed on {table}" + (f" column {chk.column_name}" if chk.column_name else "")
    expected = {"threshold": _soda_threshold_text(chk.threshold)}
    if getattr(chk, "warn_threshold", None) is not None:
        expected["warn_threshold"] = _soda_threshold_text(chk.warn_threshold)
    return Check(name, status in (PASSED, WARNED, SKIPPED), status, observed=jsonable(observed),
                 expected=jsonable(expected), failing_rows=failing, dataset=f"marts.{table}", message=message)


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
    os.environ["SODA_CORE_TELEMETRY_ENABLED"] = "false"  # else Soda tries to export telemetry (OTLP), which fails offline
    os.environ.setdefault("DO_NOT_TRACK", "1")
    ref = as_utc(now)
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
        con = connect_read_only(candidate_path)  # fails fast on a missing or unreadable file; also used for examples
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
                                c.examples = jsonable(_soda_examples(con, table, contract, c))[:MAX_EXAMPLES]
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
