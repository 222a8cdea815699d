"""dbt gate: the tests and unit tests that `dbt build` runs with the models (severity error), the build
itself, and `dbt source freshness`. Read from dbt's run results into the common `GateResult`."""
from __future__ import annotations

from datetime import UTC, datetime

from jamstat.gates.result import ERROR, FAILED, PASSED, SKIPPED, WARNED, Check, GateResult

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
        res.checks.append(Check(t["node"], status in (PASSED, WARNED), status, observed=messages.get(t["node"], t["status"]),
                                expected="pass", failing_rows=t.get("failures"), dataset="candidate"))
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
