"""expectations/freshness.yml owns dbt's source freshness limits: the dbt runner turns its dbt_source_freshness
section into the dbt var source_freshness, so editing the file changes what `dbt source freshness` checks, and
dbt without the var fails instead of falling back to a number."""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from jamstat.settings import Settings
from jamstat.transform.dbt_runner import (
    dbt_executable,
    ensure_dbt_packages,
    run_dbt,
    source_freshness_vars,
)
from tests.dbt.candidate_fixture import REPO, build_candidate

FRESHNESS_YML = REPO / "expectations" / "freshness.yml"


def _write(folder: Path, section: dict) -> Path:
    """A freshness.yml holding the repo's gate limits and the given dbt_source_freshness section."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg = yaml.safe_load(FRESHNESS_YML.read_text(encoding="utf-8"))
    cfg["dbt_source_freshness"] = section
    path = folder / "freshness.yml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


def test_limits_become_dbt_thresholds_in_the_largest_whole_period(tmp_path):
    path = _write(tmp_path, {
        "kolada": {"warn_after": {"days": 400}, "error_after": {"days": 1, "hours": 12}},
        "file": {"warn_after": {"minutes": 90}},
    })
    assert source_freshness_vars(path) == {"source_freshness": {
        "kolada": {"warn_after": {"count": 400, "period": "day"}, "error_after": {"count": 36, "period": "hour"}},
        "file": {"warn_after": {"count": 90, "period": "minute"}, "error_after": None},
    }}


@pytest.mark.parametrize(("section", "names"), [
    (None, "no dbt_source_freshness section"),
    ({"kolada": {"warn_afer": {"days": 3}}}, "dbt_source_freshness.kolada takes warn_after"),
    ({"kolada": {"warn_after": {"weeks": 3}}}, "dbt_source_freshness.kolada.warn_after"),
    ({"kolada": {"warn_after": 400}}, "dbt_source_freshness.kolada.warn_after"),
    ({"kolada": {"warn_after": {"days": "many"}}}, "dbt_source_freshness.kolada.warn_after"),
    ({"scb": {"error_after": {"minutes": 0.5}}}, "dbt_source_freshness.scb.error_after"),
])
def test_a_bad_limit_names_the_file_and_the_key(tmp_path, section, names):
    path = _write(tmp_path, section)
    with pytest.raises(ValueError, match=names) as err:
        source_freshness_vars(path)
    assert str(path) in str(err.value)


def test_without_the_file_the_runner_reports_a_failure_naming_it(tmp_path):
    """The dbt gate records a failure that says what to fix, rather than the task crashing unrecorded."""
    settings = dataclasses.replace(Settings.from_env(), expectations_dir=tmp_path / "nothing")
    result = run_dbt(settings, "build", candidate=tmp_path / "candidate.duckdb", target_path=tmp_path / "target")
    assert not result.success and result.returncode == -1
    assert str(tmp_path / "nothing" / "freshness.yml") in result.summary()
    assert "dbt_source_freshness" in result.summary()
    assert not (tmp_path / "target").exists()   # dbt never started


def test_the_repo_file_limits_every_dbt_source():
    staging = yaml.safe_load((REPO / "dbt_project/models/staging/_staging.yml").read_text(encoding="utf-8"))
    dbt_sources = {s["name"] for s in staging["sources"]}
    assert set(source_freshness_vars(FRESHNESS_YML)["source_freshness"]) == dbt_sources


@pytest.fixture(scope="module")
def candidate(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("source_freshness")
    path = tmp / "candidate.duckdb"
    build_candidate(path)   # real recorded values, every batch fetched 2026-06-10 08:00 UTC
    ensure_dbt_packages(Settings.from_env())
    yield path
    shutil.rmtree(tmp, ignore_errors=True)


def _source_freshness(candidate: Path, folder: Path, section: dict):
    """`dbt source freshness` through the product runner with the limits of a freshness.yml in `folder`."""
    _write(folder, section)
    settings = dataclasses.replace(Settings.from_env(), expectations_dir=folder)
    result = run_dbt(settings, "source freshness", candidate=candidate, target_path=folder / "target",
                     stream=lambda _line: None)
    sources = json.loads((folder / "target" / "sources.json").read_text(encoding="utf-8"))["results"]
    return result, {r["unique_id"].split(".")[2]: r for r in sources}


@pytest.mark.slow
def test_editing_the_file_changes_what_dbt_source_freshness_checks(candidate, tmp_path):
    loose = {"warn_after": {"days": 100_000}, "error_after": {"days": 200_000}}
    warn_only = {"warn_after": {"days": 1}}   # the fixture has no file drop: an absent source only warns
    passed, seen = _source_freshness(candidate, tmp_path / "loose",
                                     {"kolada": loose, "scb": loose, "file": warn_only, "ingest": loose})
    assert passed.success, passed.summary()
    assert {s: r["status"] for s, r in seen.items()} == {"kolada": "pass", "scb": "pass", "ingest": "pass",
                                                         "file": "warn"}
    assert seen["kolada"]["criteria"]["warn_after"] == {"count": 100_000, "period": "day"}

    # the recorded batches are months old: a one-minute warn limit warns, a one-hour error limit fails
    tight, seen = _source_freshness(candidate, tmp_path / "tight", {
        "kolada": {"warn_after": {"minutes": 1}, "error_after": {"days": 200_000}},
        "scb": {"warn_after": {"minutes": 1}, "error_after": {"hours": 1}},
        "file": warn_only, "ingest": loose})
    assert seen["kolada"]["status"] == "warn"
    assert seen["kolada"]["criteria"]["warn_after"] == {"count": 1, "period": "minute"}
    assert seen["scb"]["status"] == "error"
    assert seen["ingest"]["status"] == "pass"
    assert not tight.success and "source.jamstat.scb.observations" in {f["node"] for f in tight.failures}


@pytest.mark.slow
def test_dbt_without_the_limits_fails_loudly(candidate, tmp_path):
    """No fallback number: a dbt run that bypasses the runner (no --vars) does not parse."""
    project = REPO / "dbt_project"
    env = {**os.environ, "DO_NOT_TRACK": "1", "JAMSTAT_CANDIDATE_PATH": str(candidate)}
    proc = subprocess.run([dbt_executable(), "parse", "--project-dir", str(project), "--profiles-dir", str(project),
                           "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
                          env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode != 0
    assert "Required var 'source_freshness' not found" in proc.stdout, proc.stdout[-2000:]
