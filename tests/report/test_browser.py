"""The report of a real replay publication in a real browser (Debian chromium through Playwright): every page
reached from index.html loads from file:// without an error, a failed request or a request outside the site;
every internal link resolves; every chart is an SVG with marks and a text alternative; the recorded Stockholm
home-care values appear as Swedish numbers; the replay banner and the words for empty goals are there; a goal
page prints to an A4 PDF; the keyboard reaches everything."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import duckdb
import pytest

from ingest.catalog import load_catalog
from jamstat.report.charts import MEN, TOTAL, WOMEN

pytestmark = pytest.mark.slow

PAGE_FACTS = """() => ({
  title: document.title,
  banner: document.querySelector('.banner') ? document.querySelector('.banner').innerText : null,
  lang: document.documentElement.lang,
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  ids: [...document.querySelectorAll('[id]')].map(e => e.id),
  charts: [...document.querySelectorAll('svg.marks')].map(s => ({
    role: s.getAttribute('role'), label: s.getAttribute('aria-label'),
    marks: s.querySelectorAll('.mark-line path, .mark-symbol path').length,
    strokes: [...s.querySelectorAll('.mark-line path')].map(p => p.getAttribute('stroke')),
    table: s.closest('figure') ? s.closest('figure').querySelectorAll('details table tbody tr').length : null,
  })),
})"""


@dataclass
class Crawl:
    root: str
    pages: dict[str, dict] = field(default_factory=dict)
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    external_links: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def crawl(replay_site, browser) -> Crawl:
    """Every page reachable from index.html over file://, with what the browser saw on it."""
    root = replay_site.current.resolve().as_uri() + "/"
    result = Crawl(root)
    context = browser.new_context()
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and result.console_errors.append(f"{page.url}: {m.text}"))
    page.on("pageerror", lambda e: result.console_errors.append(f"{page.url}: {e}"))
    # ERR_ABORTED is the browser dropping the previous page's lazy favicon request when the crawl moves on; a
    # missing file fails with ERR_FILE_NOT_FOUND and is caught
    page.on("requestfailed",
            lambda r: r.failure == "net::ERR_ABORTED" or result.failed.append(f"{r.url} ({r.failure})"))
    page.on("request", lambda r: r.url.startswith(root) or result.outside.append(r.url))
    todo = [root + "index.html"]
    try:
        while todo:
            url = todo.pop()
            if url in result.pages:
                continue
            page.goto(url, wait_until="load")
            facts = page.evaluate(PAGE_FACTS)
            result.pages[url] = facts
            for link in facts["links"]:
                target, _ = urldefrag(link)
                if not target.startswith(root):
                    result.external_links.add(link)
                elif target.endswith(".html") and target not in result.pages:
                    todo.append(target)
    finally:
        context.close()
    return result


def test_every_page_loads_cleanly_from_file(crawl):
    names = {u.removeprefix(crawl.root) for u in crawl.pages}
    assert {"index.html", "en/index.html", "coverage.html", "quality.html", "goal-3.html", "en/goal-3.html",
            "municipality-0180.html", "en/municipality-0180.html"} <= names
    n_catalog = len(load_catalog())
    assert sum(n.startswith("indicator-") for n in names) == n_catalog, "every catalog indicator has a page"
    assert sum(n.startswith("municipality-") for n in names) == 26, "every municipality of Stockholms län"
    # every indicator and municipality page in Swedish and in English, besides the goal and overview pages
    assert sum(n.startswith("en/indicator-") for n in names) == n_catalog
    assert len(names) > 2 * (n_catalog + 26)
    assert crawl.console_errors == []
    assert crawl.failed == []
    assert crawl.outside == [], "no request leaves the site (no CDN, no web fonts)"


def test_every_internal_link_resolves(crawl):
    for url, facts in crawl.pages.items():
        for link in facts["links"]:
            target, fragment = urldefrag(link)
            if not target.startswith(crawl.root):
                continue
            path = Path(unquote(urlparse(target).path))
            assert path.is_file(), f"{url} links to missing {link}"
            if fragment:
                assert fragment in crawl.pages[target]["ids"], f"{url} links to missing anchor {link}"


def test_links_out_of_the_site_go_only_to_the_sources_own_pages(crawl):
    hosts = {urlparse(u).netloc for u in crawl.external_links}
    assert hosts <= {"www.kolada.se", "api.kolada.se", "www.statistikdatabasen.scb.se"}, hosts
    assert "https://www.kolada.se/verktyg/fri-sokning/?kpis=N21704" in crawl.external_links


def test_every_chart_has_marks_and_a_text_alternative(crawl):
    charts = [(u, c) for u, f in crawl.pages.items() for c in f["charts"]]
    assert len(charts) >= 8, "replay data: trend charts on goal and indicator pages, sparklines on profiles"
    for url, chart in charts:
        assert chart["marks"] > 0, f"empty chart on {url}"
        assert chart["role"] == "img" and len(chart["label"] or "") > 20, f"chart without text alternative on {url}"
        if chart["table"] is not None:
            assert chart["table"] > 0, f"trend chart on {url} without its numbers"


def test_women_and_men_have_the_same_colour_on_every_chart(crawl):
    strokes = {s.upper() for f in crawl.pages.values() for c in f["charts"] for s in c["strokes"]}
    assert strokes and strokes <= {WOMEN, MEN, TOTAL}, strokes


def test_replay_banner_on_every_page(crawl):
    for url, facts in crawl.pages.items():
        expected = "Inspelade exempeldata" if facts["lang"] == "sv" else "Recorded sample data"
        assert facts["banner"] and "REPLAY" in facts["banner"] and expected in facts["banner"], url


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def test_stockholm_home_care_2023_on_the_municipality_page(replay_site, page):
    with duckdb.connect(str(replay_site.warehouse / "jamstat.duckdb"), read_only=True) as con:
        indicator = con.execute(
            "select indicator_id from marts.dim_indicator where source_ref = 'N21704'").fetchone()[0]
    page.goto((replay_site.current / "municipality-0180.html").as_uri())
    row = page.locator(f'tr[data-indicator="{indicator}"]')
    assert _norm(row.locator("td").nth(0).inner_text()) == "2023"
    assert _norm(row.locator("td.women").inner_text()) == "25,7 %"
    assert _norm(row.locator("td.men").inner_text()) == "15,8 %"
    page.goto((replay_site.current / "en" / "municipality-0180.html").as_uri())
    assert _norm(page.locator(f'tr[data-indicator="{indicator}"] td.women').inner_text()) == "25.7%"


def test_goal_without_values_says_so_in_words(replay_site, page):
    page.goto((replay_site.current / "goal-4.html").as_uri())
    assert "Inga av målets" in page.locator("main .lead").inner_text()
    assert page.locator("main svg").count() == 0, "no empty charts"
    page.goto((replay_site.current / "goal-3.html").as_uri())
    assert "Länet och riket har inga värden" in _norm(page.locator("main").inner_text())


def test_goal_page_prints_to_an_a4_pdf(replay_site, page, tmp_path):
    page.goto((replay_site.current / "goal-2.html").as_uri())
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    boxes = {(float(w), float(h)) for w, h in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)}
    assert boxes and all(abs(w - 595.3) < 1.5 and abs(h - 841.9) < 1.5 for w, h in boxes), \
        f"every page is A4 (595.3 x 841.9 pt); got {boxes}"


def test_keyboard_reaches_the_content_and_the_language_switch(replay_site, page):
    page.goto((replay_site.current / "index.html").as_uri())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.goto((replay_site.current / "index.html").as_uri())
    reached = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.getAttribute('href')"))
    assert {"en/index.html", "goal-1.html", "coverage.html"} <= reached
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none", "focus is visible"


def test_any_county_works_dalarna(replay_site, page, tmp_path):
    import dataclasses

    from jamstat.report.site import render_report
    from jamstat.settings import Settings
    from tests.support.pipeline import copy_pipeline

    warehouse = Path(copy_pipeline(replay_site.env, tmp_path)["JAMSTAT_WAREHOUSE_DIR"])
    settings = dataclasses.replace(Settings.from_env(), warehouse_dir=warehouse)
    index = render_report(settings, county="20")
    site = index.parent
    assert len(list(site.glob("municipality-20*.html"))) == 15, "Dalarna's 15 municipalities"
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(index.as_uri())
    assert page.locator("h1").inner_text() == "Jämställdhet i Dalarnas län"
    assert "Falun" in page.locator("main").inner_text()
    assert errors == []


def test_works_from_a_plain_static_web_server(replay_site, page):
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *_args):
            pass

    handler = functools.partial(Quiet, directory=str(replay_site.current.resolve()))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"{page.url}: {m.text}"))
    page.on("requestfailed", lambda r: problems.append(f"failed {r.url}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
    page.on("request", lambda r: r.url.startswith(base) or problems.append(f"outside {r.url}"))
    try:
        for path in ("index.html", "en/index.html", "goal-3.html", "municipality-0180.html", "quality.html",
                     "en/indicator-home_care_80plus_share.html"):
            # networkidle: the favicon loads after "load"; leaving earlier would abort it and look like a failure
            page.goto(base + path, wait_until="networkidle")
            assert page.locator("h1").count() == 1
        csv = page.request.get(base + "data/home_care_80plus_share.csv")
        assert csv.ok and "0180" in csv.text()
    finally:
        server.shutdown()
        server.server_close()
    assert problems == []
