"""The dbt gate records dbt's own status words (pass/fail/warn/error); summaries and reports must read them."""
from ingest import quality


def _dbt_gate(status: str, success: bool) -> dict:
    return {"gate": "dbt", "success": success, "checks": [
        {"check": "test.jamstat.unique_fct", "success": True, "status": "pass", "observed": "pass", "expected": "pass"},
        {"check": "test.jamstat.accepted_range_value", "success": success, "status": status,
         "observed": "Got 1 result, configured to fail if != 0", "failing_rows": 1, "expected": "pass"}]}


def test_report_marks_dbt_failures(tmp_path):
    path = quality.write_report([_dbt_gate("fail", False)], tmp_path / "r.md")
    text = path.read_text()
    assert "**FAIL** `test.jamstat.accepted_range_value`" in text
    assert "unique_fct" in text
    assert "accepted_range_value" in quality.summarize([_dbt_gate("fail", False)])


def test_report_of_passing_dbt_gate(tmp_path):
    text = quality.write_report([_dbt_gate("pass", True)], tmp_path / "r.md").read_text()
    assert "FAIL" not in text.replace("failing", "")
