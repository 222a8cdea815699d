"""Fixtures for the quality-gate tests; the candidate builder lives in quality_fixtures.py."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("SODA_CORE_TELEMETRY_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from tests.quality.quality_fixtures import build_candidate, mutate  # noqa: E402


@pytest.fixture
def good_candidate(tmp_path: Path) -> Path:
    return build_candidate(tmp_path / "candidate.duckdb")


@pytest.fixture
def make_candidate(tmp_path: Path) -> Callable[..., Path]:
    counter = {"n": 0}

    def _make(*sql: str, name: str | None = None, **kw) -> Path:
        counter["n"] += 1
        p = build_candidate(tmp_path / (name or f"candidate_{counter['n']}.duckdb"), **kw)
        return mutate(p, *sql) if sql else p

    return _make
