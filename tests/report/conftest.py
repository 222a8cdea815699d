"""The session's real replay publication (tests/conftest.py: one `make run` whose transform_publish run rendered
the report), seen as a site, and Debian's chromium driven by Playwright, shared by the browser tests."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.pipeline import ReplayRun

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]


@dataclass
class ReplaySite:
    env: dict
    warehouse: Path

    @property
    def current(self) -> Path:
        return self.warehouse / "report" / "current"


@pytest.fixture(scope="session")
def replay_site(replay_publication: ReplayRun) -> ReplaySite:
    """Read only: a test that changes files works on `copy_pipeline(replay_site.env, tmp_path)`."""
    assert "Follow-up report:" in replay_publication.stdout, replay_publication.stdout[-2000:]
    return ReplaySite(replay_publication.env, Path(replay_publication.env["JAMSTAT_WAREHOUSE_DIR"]))


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
