"""Fixtures for the ingest tests: isolated settings, the real replay server, a fast HTTP client."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ingest.http import HttpClient, RateLimiter, RetryPolicy
from ingest.modes import base_urls
from ingest.replay.server import replay_server
from jamstat.settings import REPO_ROOT, Settings

FAST = RetryPolicy(attempts=3, backoff_factor=0.01, backoff_max=0.05, backoff_jitter=0.01,
                   retry_after_max=3.0, connect_timeout=1.0, read_timeout=2.0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(mode="replay", data_dir=tmp_path / "data", warehouse_dir=tmp_path / "warehouse",
                    replay_url=None, catalog_path=REPO_ROOT / "dbt_project" / "seeds" / "indicator_catalog.csv",
                    dbt_project_dir=REPO_ROOT / "dbt_project", expectations_dir=REPO_ROOT / "expectations",
                    postgres_url=None)


@pytest.fixture(scope="session")
def replay_url() -> str:
    with replay_server() as url:
        yield url


@pytest.fixture
def replay_urls(replay_url) -> dict[str, str]:
    return base_urls("replay", replay_url)


@pytest.fixture
def http() -> HttpClient:
    client = HttpClient(FAST, limiter=RateLimiter())
    yield client
    client.close()


def with_catalog(settings: Settings, path: Path) -> Settings:
    return dataclasses.replace(settings, catalog_path=path)


def catalog_with(settings: Settings, tmp_path: Path, extra_rows: list[dict] | None = None,
                 edit=None) -> Settings:
    """A copy of the real catalog with SYNTHETIC rows appended / rows edited, for fault tests."""
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(settings.catalog_path.read_text("utf-8"))))
    header = list(rows[0])
    if edit:
        for r in rows:
            edit(r)
    for extra in extra_rows or []:
        rows.append({c: extra.get(c, "") for c in header})
    out = tmp_path / "catalog_test.csv"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    out.write_text(buf.getvalue(), "utf-8")
    return with_catalog(settings, out)
