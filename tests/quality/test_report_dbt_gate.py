"""The dbt gate turns dbt's run results (pass/fail/warn/error) into the gates' one result type; summaries and
reports read it like any other gate."""
from jamstat.gates import report
from jamstat.gates.dbt_tests import dbt_gate_result
from jamstat.transform.dbt_runner import DbtResult


def _build(status: str, success: bool) -> DbtResult:
    tests = [{"node": "test.jamstat.unique_fct", "status": "pass", "failures": 0},
             {"node": "test.jamstat.accepted_range_value", "status": status, "failures": 1}]
    failures = [] if success else [{"node": "test.jamstat.accepted_range_value", "status": status,
                                     "message": "Got 1 result, configured to fail if != 0", "failures": 1}]
    return DbtResult(success=success, command="build", returncode=0 if success else 1, elapsed_s=1.0,
                     counts={"pass": 1, status: 1}, failures=failures, tests=tests)


def test_dbt_failure_fails_the_gate_and_is_named_in_report(tmp_path):
    result = dbt_gate_result(_build("fail", False))
    assert not result.success
    assert [c.status for c in result.checks] == ["passed", "failed"]
    text = report.write_report([result], tmp_path / "r.md").read_text()
    assert "**FAIL** `test.jamstat.accepted_range_value` — 1 row(s)" in text
    assert "unique_fct" in text
    assert "accepted_range_value" in report.summarize([result])


def test_dbt_warning_passes_and_shows_as_warn(tmp_path):
    result = dbt_gate_result(_build("warn", True))
    assert result.success
    assert "**WARN** `test.jamstat.accepted_range_value`" in report.write_report([result], tmp_path / "r.md").read_text()


def test_passing_dbt_gate(tmp_path):
    result = dbt_gate_result(_build("pass", True))
    assert result.success and result.n_evaluated == 2
    text = report.write_report([result], tmp_path / "r.md").read_text()
    assert "Verdict: **PASSED" in text and "**FAIL**" not in text


def test_unfinished_dbt_build_fails_with_its_log():
    broken = DbtResult(success=False, command="build", returncode=2, elapsed_s=0.5, log_tail="Compilation Error")
    result = dbt_gate_result(broken)
    assert not result.success and "Compilation Error" in result.error
