"""dbt gate: the tests and unit tests that `dbt build` runs with the models (severity error), the build
itself, and `dbt source freshness`. Read from dbt's run results into the common `GateResult`.

dbt stores each test's failing rows as a view in the candidate (`store_failures`, dbt_project.yml). When those
rows carry a `batch_id`, the check names the batches and the command that retracts one."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from jamstat.gates.candidate_reader import connect_read_only
from jamstat.gates.result import ERROR, FAILED, MAX_EXAMPLES, PASSED, SKIPPED, WARNED, Check, GateResult

# dbt's run_results vocabulary, mapped onto the gates' check statuses.
DBT_STATUS = {"pass": PASSED, "success": PASSED, "fail": FAILED, "warn": WARNED, "skipped": SKIPPED,
              "error": ERROR, "runtime error": ERROR}


def dbt_gate_result(build, freshness=None, *, candidate_path: str | None = None) -> GateResult:
    """`build` and `freshness` are `jamstat.transform.dbt_runner.DbtResult`s (freshness is None when the
    build failed, so it did not run)."""
    res = GateResult("dbt", candidate_path=candidate_path, started_at=datetime.now(UTC).isoformat(),
                     duration_s=build.elapsed_s + (freshness.elapsed_s if freshness else 0.0))
    messages = {f["node"]: f["message"] for f in build.failures}
    for t in build.tests:
        status = DBT_STATUS.get(t["status"], ERROR)
        check = Check(t["node"], status in (PASSED, WARNED), status, observed=messages.get(t["node"], t["status"]),
                      expected="pass", failing_rows=t.get("failures"), dataset="candidate")
        if status == FAILED and t.get("relation") and candidate_path:
            _name_batches(check, candidate_path, t["relation"])
        res.checks.append(check)
    for f in build.failures:
        if not f["node"].startswith(("test.", "unit_test.")):  # a model or seed that did not build
            res.checks.append(Check(f["node"], False, ERROR, observed=f["message"], expected="success",
                                    message=f"{f['node']} did not build: {f['message']}"))
    if freshness is not None:  # dbt's own per-source freshness (content age; limits in dbt vars)
        for t in freshness.tests:
            status = DBT_STATUS.get(t["status"], ERROR)
            res.checks.append(Check(f"freshness:{t['node']}", status in (PASSED, WARNED), status,
                                    observed=t["status"], expected="pass or warn"))
        if not freshness.success and not freshness.tests:
            res.add_error("dbt source freshness did not finish:\n" + freshness.log_tail[-500:])
    if not build.success and not res.checks:
        res.add_error("dbt build did not finish:\n" + build.log_tail[-2000:])
    res.details["counts"] = build.counts
    res.success = bool(res.error is None and res.n_evaluated > 0 and build.success
                       and (freshness is None or freshness.success) and all(c.success for c in res.checks))
    return res


def _name_batches(check: Check, candidate_path: str, relation: str) -> None:
    """Read the test's stored failing rows: the batches they come from, and a few rows as examples."""
    # relation_name is "<database>"."<schema>"."<name>"; the database is the file's alias, so read schema.name
    schema_name = ".".join(f'"{part}"' for part in re.findall(r'"([^"]+)"', relation)[-2:]) or relation
    try:
        with connect_read_only(candidate_path) as con:
            rows = con.execute(f"SELECT * FROM {schema_name} LIMIT 500").fetch_df()
    except Exception as exc:  # noqa: BLE001 - the check fails anyway; its batches are a hint, not the verdict
        check.message = f"failing rows not readable from {relation}: {type(exc).__name__}"
        return
    check.examples = rows.head(MAX_EXAMPLES).to_dict("records")
    if "batch_id" in rows.columns:
        check.batch_ids = sorted({str(b) for b in rows["batch_id"].dropna()})
        check.message = (f"rows from batch(es) {', '.join(b[:16] for b in check.batch_ids[:5])}; if a batch is "
                         "wrong, retract it: jamstat batches retract <batch_id> --reason \"…\"")
