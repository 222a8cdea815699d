"""Charts as Vega-Lite specs, rendered to inline SVG with vl-convert at render time: no JavaScript and no
request when a page is viewed, so pages work offline and print well. The specs are plain Vega-Lite JSON built
here (a national report has thousands of small charts; building each through altair's validation costs more
than rendering it).

Women and men have the same colour on every chart (Okabe–Ito vermillion and blue, which colour-blind readers
tell apart); the county is a solid line, the country a dashed one; every chart has its numbers in a table and a
text alternative, so nothing depends on colour alone. A line joins only consecutive years of one series without
a series break: a gap in the data stays a gap, and a year standing alone is a dot. Lines carry no point per
year: at national scale the points cost more to draw than everything else on the chart."""
from __future__ import annotations

import html
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from jamstat.report import i18n

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier only; nothing is fetched
WOMEN, MEN, TOTAL = "#D55E00", "#0072B2", "#4D4D4D"
BAND, RULE = "#E3E3E3", "#7A7A7A"
SEX_STYLE = {"K": (WOMEN, "circle"), "M": (MEN, "square"), "T": (TOTAL, "diamond")}
DASHES = {"county": [1, 0], "country": [6, 3], "municipality": [1, 0]}
CONFIG = {"aria": False, "font": "sans-serif", "view": {"stroke": None},
          "axis": {"labelFontSize": 11, "titleFontSize": 11, "gridColor": "#EBEBEB"},
          "legend": {"labelFontSize": 11, "orient": "bottom", "title": None}}


@dataclass(frozen=True)
class Point:
    year: int
    value: float
    sex: str        # K, M or T (T also carries a women's share, coloured as women)
    role: str       # county | country | municipality
    area: str       # the area's name, shown in the legend


def segments(points: list[Point], breaks: set[int]) -> list[dict]:
    """Rows for the chart with a segment id per unbroken run of years, so the line never bridges a missing
    year or a series break (nothing is interpolated)."""
    rows = []
    for key in sorted({(p.role, p.area, p.sex) for p in points}):
        run, previous = 0, None
        for p in sorted((p for p in points if (p.role, p.area, p.sex) == key), key=lambda p: p.year):
            if previous is not None and (p.year != previous + 1 or p.year in breaks):
                run += 1
            previous = p.year
            rows.append({"year": p.year, "value": p.value, "sex": p.sex, "role": p.role, "area": p.area,
                         "series": f"{p.role}|{p.area}|{p.sex}|{run}"})
    return rows


def _x(rows: list[dict], breaks: set[int], axis) -> dict:
    years = [r["year"] for r in rows] + list(breaks)
    return {"field": "year", "type": "quantitative", "title": None, "axis": axis,
            "scale": {"domain": [min(years) - 0.5, max(years) + 0.5], "nice": False, "zero": False}}


def _guides(breaks: set[int], *, x: dict, y: dict, share: bool, target: float | None, label: str | None) -> list[dict]:
    """Background layers: the 40–60 band, the target line and the series-break rules, on the data's own scales
    (a layer with default scales would stretch the axes to zero)."""
    layers = []
    if share:
        layers.append({"data": {"values": [{"lo": 40, "hi": 60}]}, "mark": {"type": "rect", "color": BAND},
                       "encoding": {"y": y | {"field": "lo"}, "y2": {"field": "hi"}}})
    if target is not None:
        layers.append({"data": {"values": [{"t": target}]}, "mark": {"type": "rule", "color": RULE},
                       "encoding": {"y": y | {"field": "t"}}})
    if breaks:
        marks = {"values": [{"x": b - 0.5, "label": label or ""} for b in sorted(breaks)]}
        rule_x = x | {"field": "x"}
        layers.append({"data": marks, "mark": {"type": "rule", "color": RULE, "strokeDash": [2, 2]},
                       "encoding": {"x": rule_x}})
        if label:
            layers.append({"data": marks, "mark": {"type": "text", "align": "left", "dx": 3, "dy": 2, "fontSize": 10,
                                                   "color": RULE, "baseline": "top"},
                           "encoding": {"x": rule_x, "y": {"value": 0}, "text": {"field": "label"}}})
    return layers


def trend_spec(rows: list[dict], *, lang: str, unit: str | None, breaks: set[int], share: bool,
               target: float | None, width: int = 520, height: int = 210) -> dict:
    """Women and men (or women's share, or the single value) over time for the county and the country."""
    labels = {"K": i18n.word(lang, "women_share" if share else "women"), "M": i18n.word(lang, "men"),
              "T": i18n.word(lang, "women_share" if share else "value")}
    present = [s for s in ("K", "M", "T") if any(r["sex"] == s for r in rows)]
    for r in rows:
        r["sex_label"] = labels[r["sex"]]
    areas = list(dict.fromkeys(r["area"] for r in sorted(rows, key=lambda r: r["role"] != "county")))
    roles = {r["area"]: r["role"] for r in rows}
    y_axis = {"title": i18n.unit_label("percent" if share else unit, lang)}
    y = {"field": "value", "type": "quantitative", "axis": y_axis,
         "scale": {"zero": bool(share or target == 0)} | ({"domain": [0, 100]} if share else {})}
    colour = {"field": "sex_label", "type": "nominal", "title": None,
              "scale": {"domain": [labels[s] for s in present],
                        "range": [WOMEN if (share and s == "T") else SEX_STYLE[s][0] for s in present]}}
    x = _x(rows, breaks, {"format": "d", "tickMinStep": 1, "labelOverlap": True})
    line = {"mark": {"type": "line", "strokeWidth": 2},
            "encoding": {"x": x, "y": y, "color": colour, "detail": {"field": "series", "type": "nominal"},
                         "strokeDash": {"field": "area", "type": "nominal", "title": None,
                                        "scale": {"domain": areas, "range": [DASHES[roles[a]] for a in areas]}}}}
    layers = [line]
    alone = [r for r in rows if sum(1 for o in rows if o["series"] == r["series"]) == 1]
    if alone:  # a year without a neighbour in its series is a dot (a line needs two)
        layers.append({"data": {"values": alone}, "mark": {"type": "point", "filled": True, "size": 40},
                       "encoding": {"x": x, "y": y, "color": colour,
                                    "shape": {"field": "sex_label", "type": "nominal", "title": None,
                                              "scale": {"domain": colour["scale"]["domain"],
                                                        "range": [SEX_STYLE[s][1] for s in present]}}}})
    guides = _guides(breaks, x=x, y=y, share=share, target=target, label=i18n.word(lang, "series_break"))
    return {"$schema": SCHEMA, "config": CONFIG, "width": width, "height": height,
            "layer": [*guides, {"data": {"values": rows}, "layer": layers}]}


def spark_spec(rows: list[dict], *, share: bool, breaks: set[int]) -> dict:
    """A small trend without text (the numbers sit in the table row next to it), the same in both languages."""
    colours = {"K": WOMEN, "M": MEN, "T": WOMEN if share else TOTAL}
    sizes: dict[str, int] = {}
    for r in rows:
        r["colour"] = colours[r["sex"]]
        sizes[r["series"]] = sizes.get(r["series"], 0) + 1
    x = _x(rows, breaks, None)
    y = {"field": "value", "type": "quantitative", "axis": None,
         "scale": {"zero": False} | ({"domain": [0, 100]} if share else {})}
    colour = {"field": "colour", "type": "nominal", "scale": None}
    marks = [{"mark": {"type": "line", "strokeWidth": 1.5},
              "encoding": {"x": x, "y": y, "color": colour, "detail": {"field": "series", "type": "nominal"}}}]
    alone = [r for r in rows if sizes[r["series"]] == 1]  # a year with no neighbour is a dot, not an invisible line
    if alone:
        marks.append({"data": {"values": alone}, "mark": {"type": "point", "filled": True, "size": 16},
                      "encoding": {"x": x, "y": y, "color": colour}})
    guides = _guides(breaks, x=x, y=y, share=share, target=None, label=None)
    return {"$schema": SCHEMA, "config": CONFIG | {"padding": 2}, "width": 130, "height": 34,
            "layer": [*guides, {"data": {"values": rows}, "layer": marks}]}


_ID = re.compile(r'id="([^"]+)"')


def _accessible(svg: str, alt_text: str, prefix: str) -> str:
    """Root <svg> as one image with its text alternative; ids made unique so charts on one page never share
    a clip path."""
    for old in set(_ID.findall(svg)):
        svg = svg.replace(f'id="{old}"', f'id="{prefix}-{old}"').replace(f"url(#{old})", f"url(#{prefix}-{old})")
    label = html.escape(alt_text, quote=True)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" focusable="false" ', 1)


class Renderer:
    """Renders specs to SVG, each distinct key once, on a few threads (vl-convert releases the GIL)."""

    def __init__(self, workers: int = 2):
        self.workers = workers
        self._jobs: dict[str, tuple[dict, str]] = {}
        self._done: dict[str, str] = {}

    def has(self, key: str) -> bool:
        return key in self._jobs

    def add(self, key: str, spec: dict, lang: str) -> None:
        self._jobs.setdefault(key, (spec, lang))

    def run(self) -> None:
        import vl_convert as vlc

        todo = [(k, s, lang) for k, (s, lang) in self._jobs.items() if k not in self._done]

        def one(job):
            key, spec, lang = job
            return key, vlc.vegalite_to_svg(spec, format_locale=i18n.CHART_LOCALE[lang], allowed_base_urls=[])

        with ThreadPoolExecutor(self.workers) as pool:
            self._done.update(pool.map(one, todo))

    @property
    def count(self) -> int:
        return len(self._done)

    def svg(self, key: str, alt_text: str, prefix: str) -> str:
        return _accessible(self._done[key], alt_text, prefix)
