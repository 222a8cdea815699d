"""Rendering the site from a small real warehouse: every page in both languages, `current` swapped only when a
render is complete, CSV = the values shown, the source-mode banner, words where there are no values."""
from __future__ import annotations

import csv
import dataclasses
import html
import re

import pytest

from jamstat.report.queries import ReportDataError
from jamstat.report.site import render_report
from jamstat.settings import Settings
from tests.report import marts


def settings_for(tmp_path, **kw) -> Settings:
    return dataclasses.replace(Settings.from_env(), warehouse_dir=tmp_path / "warehouse", **kw)


@pytest.fixture
def settings(tmp_path):
    s = settings_for(tmp_path)
    s.warehouse_dir.mkdir()
    marts.build(s.published_path)
    return s


def text(path) -> str:
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(path.read_text(encoding="utf-8")))


def test_render_writes_every_page_in_both_languages(settings):
    index = render_report(settings)
    site = index.parent
    assert index == settings.report_dir / "current" / "index.html" and index.exists()
    assert site.resolve().name == "run-1", "one generation per publication, named by its run id"
    expected = {"index.html", "coverage.html", "quality.html", "goal-1.html", "goal-3.html", "goal-4.html",
                "municipality-0180.html", "municipality-0114.html", "municipality-0115.html",
                "indicator-vab_share_men.html", "indicator-managers_by_sex.html", "indicator-violence_knowledge.html"}
    assert {p.name for p in site.glob("*.html")} == expected
    assert {p.name for p in (site / "en").glob("*.html")} == expected
    assert (site / "assets" / "report.css").exists()
    assert '<html lang="sv">' in text(index) and '<html lang="en">' in text(site / "en" / "index.html")
    assert 'href="en/index.html"' in text(index) and 'href="../index.html"' in text(site / "en" / "index.html")


def test_pages_reference_nothing_outside_the_site(settings):
    site = render_report(settings).parent
    for page in site.rglob("*.html"):
        body = page.read_text(encoding="utf-8")
        refs = re.findall(r'(?:src|href)="([^"]+)"', body)
        local = [r for r in refs if not r.startswith(("https://www.kolada.se/", "https://api.kolada.se/",
                                                      "https://www.statistikdatabasen.scb.se/"))]
        assert all("://" not in r and not r.startswith("//") for r in local), (page, local)
        external = [r for r in refs if r not in local]
        assert all('rel="external"' in body for _ in external), "source links are plain links, not resources"
        assert "<script" not in body, "no JavaScript: charts are inline SVG"


def test_rerender_is_a_new_generation_and_current_moves_atomically(settings):
    first = render_report(settings).resolve().parent
    second = render_report(settings).resolve().parent
    assert first != second and first.exists(), "the previous generation stays for readers still on it"
    assert second.name == "run-1.2"
    assert (settings.report_dir / "current").is_symlink()
    assert (settings.report_dir / "current").resolve() == second
    assert not [p for p in settings.report_dir.iterdir() if p.name.startswith(".")], "no staging left behind"


def test_failed_render_keeps_the_previous_report_current(settings):
    good = render_report(settings).resolve().parent
    with pytest.raises(ReportDataError, match="'99' is not in marts.dim_area"):
        render_report(settings, county="99")
    assert (settings.report_dir / "current").resolve() == good
    assert not [p for p in settings.report_dir.iterdir() if p.name.startswith(".")], "the half-written site is gone"
    with pytest.raises(ReportDataError, match="holds run 'run-1', not 'run-2'"):
        render_report(settings, expected_run_id="run-2")
    assert (settings.report_dir / "current").resolve() == good


def test_csv_holds_exactly_the_values_the_indicator_page_shows(settings):
    site = render_report(settings).parent
    rows = list(csv.DictReader((site / "data" / "vab_share_men.csv").open(encoding="utf-8")))
    assert [(r["area_code"], r["year"], r["women_share"]) for r in rows] == [("0180", "2020", "59.2"),
                                                                             ("0114", "2020", "65.0")]
    page = text(site / "indicator-vab_share_men.html")
    assert "59,2\u00a0%" in page and "65,0\u00a0%" in page and 'href="data/vab_share_men.csv"' in page
    assert 'href="../data/vab_share_men.csv"' in text(site / "en" / "indicator-vab_share_men.html")
    county = list(csv.DictReader((site / "data" / "managers_by_sex.csv").open(encoding="utf-8")))
    assert [r["year"] for r in county if r["area_code"] == "01"] == ["2014", "2015", "2016", "2018", "2019"]


def test_replay_banner_on_every_page(settings):
    site = render_report(settings).parent
    for page in site.rglob("*.html"):
        assert "REPLAY" in text(page) and ("Inspelade exempeldata" in text(page) or "Recorded sample data"
                                           in text(page)), page


@pytest.mark.parametrize(("modes", "banner"), [(("synthetic",), "SYNTETISKA DATA"), (("live",), None)])
def test_banner_follows_the_publications_source_mode(tmp_path, modes, banner):
    settings = settings_for(tmp_path)
    settings.warehouse_dir.mkdir()
    marts.build(settings.published_path, modes=modes)
    page = text(render_report(settings))
    if banner:
        assert banner in page
    else:
        assert 'class="banner' not in page


def test_goal_without_values_says_so_in_words(settings):
    site = render_report(settings).parent
    page = text(site / "goal-4.html")
    assert "Inga av målets 1 indikatorer har värden" in page
    assert "<svg" not in page, "no empty chart"
    assert "Ingen offentlig källa" in page
    assert "None of the goal's 1 indicators has values" in text(site / "en" / "goal-4.html")


def test_missing_value_shows_its_source_status(settings):
    site = render_report(settings).parent
    page = text(site / "municipality-0114.html")
    assert "Uppgift saknas (.)" in page, "men's value for Upplands Väsby is null with status '.'"
