"""A real replay publication (tools/make_run.py in temp dirs, as `make run` does it) whose transform_publish run
rendered the report, and Debian's chromium driven by Playwright, shared by the browser tests."""
from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, make_pipeline_env

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]


@dataclass
class ReplaySite:
    env: dict
    warehouse: Path
    stdout: str

    @property
    def current(self) -> Path:
        return self.warehouse / "report" / "current"


@pytest.fixture(scope="session")
def replay_site(tmp_path_factory, airflow_db_template) -> ReplaySite:
    env = make_pipeline_env(tmp_path_factory, airflow_db_template)
    result = subprocess.run([sys.executable, "-m", "tools.make_run"], env=env, cwd=REPO, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return ReplaySite(env, Path(env["JAMSTAT_WAREHOUSE_DIR"]), result.stdout)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is needed for the report's browser tests: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def copy_warehouse(site: ReplaySite, target: Path) -> Path:
    """A private copy of the published warehouse (report history included) for tests that change it."""
    shutil.copytree(site.warehouse, target, symlinks=True, ignore=shutil.ignore_patterns("work", "logs"))
    return target
