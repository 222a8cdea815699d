"""`make docs` (tools.dbt_docs) on a real replay publication: dbt docs generated against the published
warehouse without changing it, served on 127.0.0.1 only, and the project overview renders in a real browser
(Debian chromium through Playwright) with the layers, the marts and the follow-up rules."""
from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.pipeline import copy_pipeline, published_path
from tools.processes import listening_sockets

pytestmark = pytest.mark.slow


def _served_url(proc: subprocess.Popen) -> str:
    """The URL the server prints once the site is generated; fails with its output if it never comes."""
    output = []
    for line in proc.stdout:
        output.append(line)
        if line.startswith("dbt docs: http://"):
            return line.split()[2]
    pytest.fail("make docs stopped before serving:\n" + "".join(output[-40:]))


@pytest.fixture
def docs_server(replay_publication, tmp_path):
    """`python -m tools.dbt_docs --port 0` on a copy of the session's publication: (url, pid, env)."""
    env = copy_pipeline(replay_publication.env, tmp_path)
    env.pop("JAMSTAT_BIND", None)
    proc = subprocess.Popen([sys.executable, "-m", "tools.dbt_docs", "--port", "0"], env=env, cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield _served_url(proc), proc.pid, env
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_make_docs_serves_the_overview_of_the_published_warehouse(docs_server, page, replay_publication):
    url, pid, env = docs_server
    published = published_path(env)
    before = hashlib.sha256(published.read_bytes()).hexdigest()
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    assert [(a, p) for _, a, p in listening_sockets([pid])] == [("127.0.0.1", port)]

    page.goto(url + "#!/overview", wait_until="networkidle")
    page.get_by_text("The follow-up rules, in plain words").wait_for(timeout=30_000)
    body = page.inner_text("body")
    for expected in ("How the data flows (the layers)", "mart_goal_followup", "levelling_down",
                     "counts_in_followup", "no_public_source"):
        assert expected in body, expected

    page.goto(url + "#!/model/model.jamstat.mart_gender_gap", wait_until="networkidle")
    page.get_by_text("jamstat.marts.mart_gender_gap").first.wait_for(timeout=30_000)  # the published relation
    assert "candidate" not in page.inner_text("body")
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before  # generated read-only
    assert (Path(env["JAMSTAT_WAREHOUSE_DIR"]) / "docs" / "static_index.html").is_file()
