"""Page contexts: what each template gets, per language, with the charts it needs registered on the Renderer.
Charts are drawn only where there are values; everywhere else the page says in words what is missing."""
from __future__ import annotations

import re
from dataclasses import dataclass

from jamstat.report import i18n
from jamstat.report.charts import Point, Renderer, segments, spark_spec, trend_spec
from jamstat.report.queries import optional
from jamstat.report.views import Indicator, Views

CSV_COLUMNS = ["indicator_id", "area_code", "area_name", "year", "value_women", "value_men", "value_total",
               "gap_women_minus_men", "women_share", "is_at_parity", "direction_of_change", "unit"]


class Fmt:
    """Number and word formatting for one language, handed to the templates."""

    def __init__(self, lang: str):
        self.lang = lang

    def word(self, key: str) -> str:
        return i18n.word(self.lang, key)

    def value(self, value, unit=None) -> str:
        return i18n.value(value, unit, self.lang)

    def gap(self, value, unit=None) -> str:
        return i18n.gap(value, unit, self.lang)

    def number(self, value, decimals: int = 0) -> str:
        return i18n.number(value, self.lang, decimals)

    def unit(self, unit) -> str:
        return i18n.UNIT_NAMES.get(unit or "none", {"sv": unit, "en": unit})[self.lang]

    def semantics(self, semantics) -> str:
        return i18n.SEMANTICS.get(semantics or "", {"sv": "", "en": ""})[self.lang]

    def check_status(self, status) -> str:
        return i18n.CHECK_STATUS.get(status or "", {"sv": status or "–", "en": status or "–"})[self.lang]

    def when(self, text) -> str:
        """An ISO timestamp as 'YYYY-MM-DD HH:MM UTC'; a 'N days, H:MM:SS' limit as 'N dagar'."""
        text = str(text or "")
        if m := re.match(r"(\d+) days?, 0:00:00$", text):
            return f"{m.group(1)} {'dagar' if self.lang == 'sv' else 'days'}"
        if m := re.match(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d)", text):
            return f"{m.group(1)} {m.group(2)} UTC"
        return text or "–"

    def status(self, status) -> str:
        return i18n.status_words(status, self.lang)

    def direction(self, direction) -> str:
        return i18n.DIRECTION.get(direction or "", {"sv": direction or "–", "en": direction or "–"})[self.lang]


@dataclass
class Chart:
    key: str
    alt: str
    table: dict  # {"columns": [...], "rows": [[...]]}: the numbers behind the chart


def _points(views: Views, ind: Indicator, areas: list[tuple[str, str]]) -> list[Point]:
    points = []
    for area, role in areas:
        for row in views.rows(ind.id, area):
            year, name = int(row["year"]), views.area_names[area]
            if ind.mode == "share":
                wanted = [("T", row.get("women_share"))]
            elif ind.mode == "by_sex":
                wanted = [("K", row.get("value_women")), ("M", row.get("value_men"))]
            else:
                wanted = [("T", row.get("value_total"))]
            points += [Point(year, float(v), sex, role, name) for sex, v in wanted if not i18n.is_missing(v)]
    return points


def _series_label(fmt: Fmt, ind: Indicator, sex: str, area: str) -> str:
    what = {"K": fmt.word("women"), "M": fmt.word("men"),
            "T": fmt.word("women_share") if ind.mode == "share" else fmt.word("value")}[sex]
    return f"{what}, {area}"


def trend_chart(views: Views, renderer: Renderer, ind: Indicator, lang: str,
                areas: list[tuple[str, str]] | None = None) -> Chart | None:
    """County (solid) and country (dashed) over time; None when neither has a value."""
    areas = areas or [(views.county, "county"), (views.country, "country")]
    points = _points(views, ind, areas)
    if not points:
        return None
    fmt = Fmt(lang)
    unit = ind.row.get("unit")
    key = f"trend|{ind.id}|{'-'.join(a for a, _ in areas)}|{lang}"
    if not renderer.has(key):  # goal and indicator pages show the same chart
        spec = trend_spec(segments(points, ind.breaks), lang=lang, unit=unit, breaks=ind.breaks,
                          share=ind.mode == "share", target=ind.target)
        renderer.add(key, spec, lang)
    labels = sorted({(p.role != "county", p.area, p.sex) for p in points})
    columns = [_series_label(fmt, ind, sex, area) for _, area, sex in labels]
    years = sorted({p.year for p in points})
    lookup = {(p.area, p.sex, p.year): p.value for p in points}
    shown_unit = "percent" if ind.mode == "share" else unit
    table_rows = [[str(y)] + [fmt.value(lookup.get((area, sex, y)), shown_unit) for _, area, sex in labels]
                  for y in years]
    last = years[-1]
    latest = "; ".join(f"{c} {fmt.value(lookup.get((a, s, last)), shown_unit)}"
                       for c, (_, a, s) in zip(columns, labels, strict=True) if (a, s, last) in lookup)
    alt = (f"{fmt.word('chart')}: {ind.name(lang)}, {', '.join(dict.fromkeys(p.area for p in points))}, "
           f"{years[0]}–{last}. {last}: {latest}."
           + (f" {fmt.word('series_break')}: {', '.join(map(str, sorted(ind.breaks)))}." if ind.breaks else ""))
    return Chart(key, alt, {"columns": [fmt.word("year"), *columns], "rows": table_rows})


def spark_chart(views: Views, renderer: Renderer, ind: Indicator, area: str, lang: str) -> Chart | None:
    points = _points(views, ind, [(area, "municipality")])
    if not points:
        return None
    fmt = Fmt(lang)
    key = f"spark|{ind.id}|{area}"
    if not renderer.has(key):  # one drawing for both languages: it has no text
        renderer.add(key, spark_spec(segments(points, ind.breaks), share=ind.mode == "share", breaks=ind.breaks), "sv")
    years = sorted({p.year for p in points})
    alt = (f"{fmt.word('chart')}: {ind.name(lang)}, {views.area_names[area]}, {years[0]}–{years[-1]} "
           f"({len(years)} {fmt.word('year').lower()})")
    return Chart(key, alt, {})


def latest_cells(views: Views, ind: Indicator, row: dict | None, fmt: Fmt) -> dict:
    """Women, men and the judged number of one area's latest row, formatted; missing values carry their
    source status when the source gave one."""
    unit = ind.row.get("unit")
    if row is None:
        return {"year": None, "women": fmt.word("no_value"), "men": fmt.word("no_value"),
                "measure": fmt.word("no_value")}
    area, year = row["area_code"], row["year"]

    def cell(column, sex):
        value = row.get(column)
        if value is None:
            reason = views.missing_reason(ind.id, area, year, sex)
            return f"{fmt.word('missing_status')} ({reason})" if reason else fmt.word("no_value")
        return fmt.value(value, unit)

    if ind.mode == "share":
        share = row.get("women_share")
        women, men = fmt.value(share, "percent"), fmt.value(None if share is None else 100 - share, "percent")
        measure = women
    else:
        women, men = cell("value_women", "K"), cell("value_men", "M")
        measure = fmt.gap(row.get("gap_women_minus_men"), unit) if ind.mode == "by_sex" else cell("value_total", "T")
    return {"year": int(year), "women": women, "men": men, "measure": measure,
            "at_parity": row.get("is_at_parity"), "direction": row.get("direction_of_change")}


def change_cell(views: Views, ind: Indicator, row: dict | None, fmt: Fmt) -> str:
    change, broken = views.change_since_baseline(ind, row)
    if broken:
        return fmt.word("not_comparable")
    unit = "percent" if ind.mode == "share" else ind.row.get("unit")
    return fmt.gap(change, unit)


def source_link(row: dict) -> tuple[str, str] | None:
    """(label, URL) of the source's own page for the series."""
    source, ref = row.get("source"), (row.get("source_ref") or "").split(" ")[0]
    if source == "kolada" and ref:
        return f"Kolada {ref}", f"https://www.kolada.se/verktyg/fri-sokning/?kpis={ref}"
    if source == "scb" and ref.upper().startswith("TAB"):
        return f"SCB {ref}", f"https://www.statistikdatabasen.scb.se/api/v2/tables/{ref}/metadata?lang=sv"
    if source == "scb" and "/" in ref:
        parts = ref.split("/")
        path = "START__" + "__".join(parts[:-1])
        return f"SCB {parts[-1]}", f"https://www.statistikdatabasen.scb.se/pxweb/sv/ssd/{path}/{parts[-1]}/"
    return None


def csv_rows(views: Views, ind: Indicator, chart_areas: list[str], ranking: dict) -> list[dict]:
    """Exactly the values an indicator page shows: the chart's areas every year, and the ranked municipalities'
    latest year."""
    out = []
    for area in chart_areas:
        out += views.rows(ind.id, area)
    out += [r["row"] for r in ranking["ranked"]]
    return [{c: ("" if i18n.is_missing(r.get(c)) else r.get(c)) for c in CSV_COLUMNS if c != "area_name"}
            | {"area_name": views.area_names.get(r["area_code"], "")} for r in out]


def indicator_block(views: Views, renderer: Renderer, ind: Indicator, lang: str) -> dict:
    """Everything a goal page or an indicator page shows about one indicator for the county."""
    fmt = Fmt(lang)
    ranking = views.ranking(ind)
    ranked = [{"rank": n, "name": r["name"], "code": r["row"]["area_code"],
               "cells": latest_cells(views, ind, r["row"], fmt)} for n, r in enumerate(ranking["ranked"], 1)]
    county_latest = views.latest(ind.id, views.county)
    country_latest = views.latest(ind.id, views.country)
    with_values = sum(1 for m in views.municipality_codes if views.has_values(ind.id, m))
    return {"ind": ind, "name": ind.name(lang), "chart": trend_chart(views, renderer, ind, lang),
            "ranking": {"year": ranking["year"], "ranked": ranked, "without": ranking["without"],
                        "order": ranking["order"]},
            "county": latest_cells(views, ind, county_latest, fmt),
            "country": latest_cells(views, ind, country_latest, fmt),
            "municipalities_with_values": with_values, "has_any": with_values or county_latest or country_latest,
            "origin": optional(ind.row, "origin"), "counts": optional(ind.row, "counts_in_followup"),
            "is_context": ind.row.get("desired_direction") == "context"}


def profile_rows(views: Views, renderer: Renderer, area: str, lang: str) -> list[dict]:
    """A municipality's profile: per goal, every indicator with a value for the municipality against its
    county and the country, and the indicators without a value."""
    fmt = Fmt(lang)
    goals = []
    for goal in views.goal_tree():
        rows, without = [], []
        for sub in goal["subgoals"]:
            for ind in views.subgoal_indicators(sub["subgoal_key"]):
                if not views.has_values(ind.id, area):
                    without.append(ind)
                    continue
                latest = views.latest(ind.id, area)
                county = views.latest(ind.id, views.county)
                country = views.latest(ind.id, views.country)
                rows.append({"ind": ind, "sub": sub, "cells": latest_cells(views, ind, latest, fmt),
                             "change": change_cell(views, ind, latest, fmt),
                             "county": latest_cells(views, ind, county, fmt),
                             "country": latest_cells(views, ind, country, fmt),
                             "spark": spark_chart(views, renderer, ind, area, lang)})
        goals.append({"goal": goal, "rows": rows, "without": without})
    return goals
