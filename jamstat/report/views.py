"""What each page says, worked out from the loaded marts (no I/O): goal tree, sub-goal tiles, the latest values
of an indicator per area, municipal rankings and what the warehouse can and cannot follow up."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from jamstat.report import i18n
from jamstat.report.queries import ReportData, optional

GOAL_IDS = ("1", "2", "3", "4", "5")
VALUE_COLUMNS = ["value_women", "value_men", "value_total", "women_share"]
STATUS_ORDER = ("data", "no_data_yet", "public_source_not_ingested", "no_public_source", "context_only")


def subgoal_sort_key(key: str) -> tuple:
    parts = re.findall(r"\d+|[a-z]+", str(key))
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def has_value(row: dict) -> bool:
    return any(row.get(c) is not None for c in VALUE_COLUMNS)


@dataclass
class Indicator:
    """A catalog indicator with how the report shows it."""

    row: dict
    mode: str = "none"        # share | by_sex | single | none (no annual values in scope)
    target: float | None = None
    breaks: set[int] = field(default_factory=set)

    @property
    def id(self) -> str:
        return self.row["indicator_id"]

    def name(self, lang: str) -> str:
        return optional(self.row, f"indicator_name_{lang}", "indicator_name_sv", default=self.id)


def break_years(row: dict) -> set[int]:
    """Years named in dim_indicator.series_breaks ('2025: …; 2019: …') plus last_break_year."""
    years = {int(y) for y in re.findall(r"\b((?:19|20)\d\d)\s*:", row.get("series_breaks") or "")}
    if row.get("last_break_year"):
        years.add(int(row["last_break_year"]))
    return years


def chart_mode(row: dict, rows: list[dict]) -> tuple[str, float | None]:
    """How an indicator is drawn: its women's share with the 40–60 band when that is the judged metric, women
    and men as two lines when the source gives both, otherwise its single value (with the target line)."""
    if not any(has_value(r) for r in rows):
        return "none", None
    metric = next((r["parity_metric"] for r in rows if r.get("parity_metric")), None)
    if metric == "women_share" and any(r.get("women_share") is not None for r in rows):
        return "share", 50.0
    if row.get("measure_type") == "value_by_sex" and any(
            r.get("value_women") is not None or r.get("value_men") is not None for r in rows):
        return "by_sex", None
    target = {"women_pct_of_men": 100.0, "gap_women_minus_men": 0.0}.get(row.get("value_semantics"))
    return "single", target


class Views:
    """Page-level answers over one county's ReportData."""

    def __init__(self, data: ReportData):
        self.data = data
        self.county = data.county["area_code"]
        self.country = data.country["area_code"]
        self.municipality_codes = [m["area_code"] for m in data.municipalities]
        self.area_names = {a["area_code"]: a["area_name"] for a in [data.county, data.country, *data.municipalities]}
        self.by_key: dict[tuple[str, str], list[dict]] = defaultdict(list)   # (indicator, area) -> rows by year
        self.valued: dict[tuple[str, str], list[dict]] = defaultdict(list)   # the same, only rows with a value
        self.by_indicator: dict[str, list[dict]] = defaultdict(list)
        for row in data.series:
            key = (row["indicator_id"], row["area_code"])
            self.by_key[key].append(row)
            self.by_indicator[row["indicator_id"]].append(row)
            if has_value(row):
                self.valued[key].append(row)
        self._rankings: dict[str, dict] = {}
        self.indicators: dict[str, Indicator] = {}
        for row in data.indicators:
            mode, target = chart_mode(row, self.by_indicator.get(row["indicator_id"], []))
            self.indicators[row["indicator_id"]] = Indicator(row, mode, target, break_years(row))

    def rows(self, indicator_id: str, area: str) -> list[dict]:
        """One indicator's rows for one area, by year."""
        return self.by_key.get((indicator_id, area), [])

    # --- goals ------------------------------------------------------------------------------------------------
    def goal_tree(self) -> list[dict]:
        """Goals 1–5 with their sub-goals in the strategy's order (4.0 is goal 4's outcome level)."""
        tree = []
        for gid in GOAL_IDS:
            subs = sorted((g for g in self.data.goals if str(g["goal_id"]) == gid),
                          key=lambda g: subgoal_sort_key(g["subgoal_key"]))
            if subs:
                tree.append({"goal_id": gid, "row": subs[0], "subgoals": subs})
        return tree

    def overall_goal(self) -> dict | None:
        """The strategy's overall goal and cross-cutting clause, when the goal dimension carries them (#12)."""
        for g in self.data.goals:
            text = optional(g, "overall_goal_sv")
            if text:
                return {"sv": text, "en": optional(g, "overall_goal_en"),
                        "clause_sv": optional(g, "cross_cutting_sv", "cross_cutting_clause_sv"),
                        "clause_en": optional(g, "cross_cutting_en", "cross_cutting_clause_en")}
        return None

    def subgoal_indicators(self, subgoal_key: str) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.row.get("subgoal_key") == subgoal_key]

    def has_values(self, indicator_id: str, area: str) -> bool:
        return (indicator_id, area) in self.valued

    def subgoal_status(self, sub: dict) -> str:
        """The sub-goal's follow-up status for the county: `data` when the county or any of its
        municipalities has a value of an indicator that counts (never of background rows); else the reason the
        marts give for the sub-goal."""
        indicators = [i for i in self.subgoal_indicators(sub["subgoal_key"])
                      if i.row.get("counts_in_followup") is not False]
        scope = [self.county, *self.municipality_codes]
        if any(self.has_values(i.id, a) for i in indicators for a in scope):
            return "data"
        found = {i18n.status_key(s) for s in self.data.subgoal_statuses.get(sub["subgoal_key"], set())} - {"data"}
        for status in STATUS_ORDER[1:][::-1]:  # the most fundamental reason wins
            if status in found:
                return status
        if not optional(sub, "n_indicators_with_public_source", default=0):
            return "no_public_source"
        return "no_data_yet"

    def tile(self, sub: dict) -> dict:
        """One sub-goal tile: status in words, counts on the county's latest year with data, and how many of
        its municipalities have values."""
        key = sub["subgoal_key"]
        county_rows = sorted((r for r in self.data.followup if r["subgoal_key"] == key
                              and r["area_code"] == self.county and (r["n_indicators_with_data"] or 0) > 0),
                             key=lambda r: r["year"])
        latest = county_rows[-1] if county_rows else None
        indicators = self.subgoal_indicators(key)
        local = [self.county, *self.municipality_codes]
        munis = [m for m in self.municipality_codes if any(self.has_values(i.id, m) for i in indicators)]
        in_scope = [i for i in indicators if any(self.has_values(i.id, a) for a in local)]
        country_only = [i for i in indicators if i not in in_scope and self.has_values(i.id, self.country)]
        muni_years = [r["year"] for i in indicators for m in munis for r in self.valued.get((i.id, m), [])]
        return {"sub": sub, "status": self.subgoal_status(sub), "n_catalog": len(indicators),
                "n_with_values": len(in_scope), "n_country_only": len(country_only),
                "county": None if latest is None else {
                    "year": int(latest["year"]), "with_data": int(latest["n_indicators_with_data"]),
                    "at_parity": int(latest["n_indicators_at_parity"]),
                    "with_metric": int(latest["n_indicators_with_parity_metric"]),
                    "toward": int(latest["n_indicators_toward_target"]),
                    "away": int(latest["n_indicators_away_from_target"]),
                    "unchanged": int(latest["n_indicators_unchanged"])},
                "municipalities_with_values": len(munis), "municipalities": len(self.municipality_codes),
                "municipal_latest_year": max(muni_years) if muni_years else None,
                "headline": self.headline(in_scope)}

    def headline(self, indicators: list[Indicator]) -> dict | None:
        """The number a tile leads with: the first judged indicator's latest county value, else the range
        over the county's municipalities on their latest year."""
        ordered = sorted(indicators, key=lambda i: i.row.get("desired_direction") == "context")
        for ind in ordered:
            county = self.latest(ind.id, self.county)
            if county is not None and self.measure(ind, county) is not None:
                return {"ind": ind, "year": int(county["year"]), "area": self.area_names[self.county],
                        "low": (None, self.measure(ind, county)), "high": None}
            ranking = self.ranking(ind)
            values = sorted((r["measure"], r["name"]) for r in ranking["ranked"] if r["measure"] is not None)
            if values:
                low, high = values[0], values[-1]
                return {"ind": ind, "year": ranking["year"], "area": None, "low": (low[1], low[0]),
                        "high": (high[1], high[0]) if len(values) > 1 else None}
        return None

    # --- values -------------------------------------------------------------------------------------------------
    def latest(self, indicator_id: str, area: str) -> dict | None:
        """The area's latest year with a value, as a plain dict (None when the area has no value)."""
        rows = self.valued.get((indicator_id, area))
        return rows[-1] if rows else None

    def measure(self, ind: Indicator, row: dict | None):
        """The number a row is judged on: women's share, the women − men gap, or the single value."""
        if row is None:
            return None
        if ind.mode == "share":
            return row.get("women_share")
        if ind.mode == "by_sex":
            return row.get("gap_women_minus_men")
        return row.get("value_total")

    def change_since_baseline(self, ind: Indicator, row: dict | None) -> tuple[float | None, bool]:
        """(change of the judged number since the baseline year, whether a series break makes it incomparable)."""
        if row is None:
            return None, False
        column = {"share": "parity_metric_change_since_baseline", "by_sex": "gap_change_since_baseline"}.get(
            ind.mode, "value_total_change_since_baseline")
        if ind.mode == "share" and row.get("parity_metric") != "women_share":
            return None, False
        return row.get(column), bool(row.get("has_break_since_baseline"))

    def ranking(self, ind: Indicator) -> dict:
        """The county's municipalities on the latest year any of them has a value: the most equal first
        (closest to the target), then those without a value for that year, by name."""
        if ind.id not in self._rankings:
            self._rankings[ind.id] = self._ranking(ind)
        return self._rankings[ind.id]

    def _ranking(self, ind: Indicator) -> dict:
        rows = [r for m in self.municipality_codes for r in self.valued.get((ind.id, m), [])]
        if not rows:
            return {"year": None, "ranked": [], "without": [], "order": None}
        year = max(r["year"] for r in rows)
        ranked = []
        for row in (r for r in rows if r["year"] == year):
            measure = self.measure(ind, row)
            target = ind.target if ind.target is not None else (0.0 if ind.mode == "by_sex" else None)
            distance = abs(measure - target) if measure is not None and target is not None else None
            ranked.append({"row": row, "name": self.area_names[row["area_code"]], "measure": measure,
                           "distance": distance})
        direction = ind.row.get("desired_direction")
        if all(r["distance"] is None for r in ranked):
            order = "lowest" if direction == "lower_is_better" else "highest"
            sign = 1 if order == "lowest" else -1
            ranked.sort(key=lambda r: (r["measure"] is None, sign * (r["measure"] or 0), r["name"]))
        else:
            order = "target"
            ranked.sort(key=lambda r: (r["distance"] is None, r["distance"] or 0, r["name"]))
        present = {r["row"]["area_code"] for r in ranked}
        without = [self.area_names[a] for a in self.municipality_codes if a not in present]
        return {"year": year, "ranked": ranked, "without": sorted(without), "order": order}

    def missing_reason(self, indicator_id: str, area: str, year: int, sex: str) -> str | None:
        return self.data.missing_status.get((indicator_id, area, int(year), sex))
