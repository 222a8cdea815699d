"""`make up` serves the current report through the Airflow 3 plugin (plugins/jamstat_report.py): one click from
the DAGs in the UI's navigation, and only for logged-in users (Airflow does not protect plugin endpoints)."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.pipeline import make_pipeline_env
from tools.processes import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def airflow_ui(replay_site, tmp_path_factory, airflow_db_template):
    env = make_pipeline_env(tmp_path_factory.mktemp("report_ui"), airflow_db_template)
    env["JAMSTAT_WAREHOUSE_DIR"] = str(replay_site.warehouse)  # served read-only
    env["JAMSTAT_AIRFLOW_PORT"] = str(port := free_port())
    env.pop("AIRFLOW__CORE__PLUGINS_FOLDER", None)
    home = Path(env["AIRFLOW_HOME"])
    up = subprocess.run([sys.executable, "-m", "tools.airflow_ui", "up"], env=env, cwd=REPO, capture_output=True,
                        text=True, timeout=300)
    try:
        assert up.returncode == 0, up.stdout + up.stderr + (home / "standalone.log").read_text()[-3000:]
        assert f"http://127.0.0.1:{port}/plugin/jamstat-report" in up.stdout
        password = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())["admin"]
        yield f"http://127.0.0.1:{port}", password
    finally:
        subprocess.run([sys.executable, "-m", "tools.airflow_ui", "down"], env=env, cwd=REPO, capture_output=True,
                       text=True, timeout=120)


def get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def token_for(base: str, password: str) -> str:
    request = urllib.request.Request(f"{base}/auth/token", method="POST", headers={"Content-Type": "application/json"},
                                     data=json.dumps({"username": "admin", "password": password}).encode())
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.load(response)["access_token"]


def test_anonymous_requests_are_refused(airflow_ui):
    base, _ = airflow_ui
    status, body = get(f"{base}/jamstat-report/index.html")
    assert status == 401 and "Logga in" in body and "Jämställdhet i" not in body
    assert get(f"{base}/jamstat-report/assets/report.css")[0] == 401
    assert get(f"{base}/jamstat-report/index.html", token="not-a-jwt")[0] in (401, 403)


def test_logged_in_users_get_the_current_report(airflow_ui, replay_site):
    base, password = airflow_ui
    token = token_for(base, password)
    status, body = get(f"{base}/jamstat-report/index.html", token)
    assert status == 200 and "Jämställdhet i Stockholms län" in body and "REPLAY" in body
    assert body == (replay_site.current / "index.html").read_text(encoding="utf-8")
    assert get(f"{base}/jamstat-report/en/goal-3.html", token)[0] == 200
    assert get(f"{base}/jamstat-report/%2e%2e/%2e%2e/jamstat.duckdb", token)[0] == 404, "nothing outside the report"
    plugins = json.loads(get(f"{base}/api/v2/plugins", token)[1])["plugins"]
    views = [v for p in plugins if p["name"] == "jamstat_report" for v in p["external_views"]]
    assert views and views[0]["destination"] == "nav" and views[0]["url_route"] == "jamstat-report"


def test_one_click_from_the_airflow_ui(airflow_ui, browser):
    base, password = airflow_ui
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{base}/")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", password)
        page.keyboard.press("Enter")
        page.get_by_role("link", name="Report").click()
        frame = page.frame_locator("iframe").first
        assert "Jämställdhet i Stockholms län" in frame.locator("h1").inner_text(timeout=30_000)
    finally:
        context.close()
