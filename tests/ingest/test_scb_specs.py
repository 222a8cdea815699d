"""Every catalog row with an SCB machine spec (scb_table filled: SCB rows, and Kolada rows with SCB as an
alternative source) parses, and its ingest_source_refs name exactly the series the spec fetches
(`<last path segment or TAB id>/<ContentsCode>` for the primary table and every successor; a Kolada row's KPI
id first), so the catalog lists what the ingest lands."""
from __future__ import annotations

import json

import pytest

from ingest.catalog import has_scb_spec, ingestibility, load_catalog, scb_lookups, scb_spec, scb_specs

CATALOG = load_catalog()
SCB_WITH_TABLE = [i for i in CATALOG if i.get("scb_table") and i.get("scb_api") != "none" and not scb_lookups(i)]
LOOKUP_ROWS = [i for i in CATALOG if scb_lookups(i)]


def _refs(ind) -> list[str]:
    return [r.strip() for r in ind.get("ingest_source_refs").split(";") if r.strip()]


def test_there_are_scb_specs():
    assert len(SCB_WITH_TABLE) >= 2 and all(has_scb_spec(i) for i in SCB_WITH_TABLE)
    assert {s.spec_id for s in scb_specs(CATALOG)} == {i.indicator_id for i in SCB_WITH_TABLE}
    assert {i.source for i in SCB_WITH_TABLE} == {"scb", "kolada"}


@pytest.mark.parametrize("ind", SCB_WITH_TABLE, ids=lambda i: i.indicator_id)
def test_scb_row_parses(ind):
    ok, reason = ingestibility(ind)
    assert ok, reason
    spec = scb_spec(ind)
    primary = spec.tables[0]
    assert primary.api in ("v1", "v2")
    assert primary.table == ind.get("scb_table") and primary.contents_code == ind.get("scb_contents_code")
    if primary.api == "v1":
        assert primary.table.count("/") == 3, f"v1 table should be a path like AA/AA0003/AA0003B/X: {primary.table}"
        assert primary.table.split("/")[1].startswith(primary.table.split("/")[0])
    assert ind.period_granularity in ("year", "month", "quarter")
    for t in spec.tables:
        assert t.contents_code and t.contents_code == t.contents_code.strip()
        assert isinstance(t.selection, dict)
        for var, sel in t.selection.items():
            assert var != "ContentsCode", "ContentsCode comes from scb_contents_code, not the selection"
            assert isinstance(sel, (list, dict, str)) and sel, f"{t.table}.{var}: empty selection"
            if isinstance(sel, list):
                assert len(set(sel)) == len(sel), f"{t.table}.{var}: duplicated codes (SCB answers 500)"


@pytest.mark.parametrize("ind", SCB_WITH_TABLE, ids=lambda i: i.indicator_id)
def test_ingest_source_refs_match_spec(ind):
    spec = scb_spec(ind)
    refs = _refs(ind)
    if ind.source == "kolada":  # the KPI id first, then the alternative SCB source's series
        assert refs[0] == ind.source_ref
        refs = refs[1:]
    expected = [r for t in spec.tables for r in t.source_refs]
    assert refs == expected, f"ingest_source_refs {refs} != spec tables {expected}"
    primary = spec.tables[0]
    name = ind.get('scb_table').rstrip('/').split('/')[-1]
    codes = [c.strip() for c in ind.get('scb_contents_code').split(";")]
    # a code resolved from its label at run time is mapped table-wide: '<table>/*'
    assert refs[:len(codes)] == [f"{name}/{'*' if c.startswith('label:') else c}" for c in codes]
    assert primary.source_refs == refs[:len(codes)]


@pytest.mark.parametrize("ind", LOOKUP_ROWS, ids=lambda i: i.indicator_id)
def test_row_with_codes_to_look_up_is_not_planned_and_says_what(ind):
    """The four SCB rows whose codes are not public carry everything public and name what is missing."""
    ok, reason = ingestibility(ind)
    assert not ok and not has_scb_spec(ind) and "look up live" in reason
    assert ind.indicator_id not in {s.spec_id for s in scb_specs(CATALOG)}
    for table, need in scb_lookups(ind):
        assert all(what for what in need.values()), f"{table.table}: say what to look up"


def test_the_four_open_rows_carry_lookups():
    assert {i.indicator_id for i in LOOKUP_ROWS} == {
        "women_share_managers_private_sector", "women_share_managers_public_sector",
        "women_share_self_employed_by_birth", "yh_it_technology_women_share"}


@pytest.mark.parametrize("ind", SCB_WITH_TABLE, ids=lambda i: i.indicator_id)
def test_scb_row_records_evidence(ind):
    assert ind.raw.get("evidence", "").strip(), "a machine spec needs recorded public evidence"
    assert ind.raw.get("verified", "") == "yes"
    for succ in json.loads(ind.get("scb_successors") or "[]"):
        assert succ.get("evidence"), f"successor {succ.get('table')} lacks evidence"
