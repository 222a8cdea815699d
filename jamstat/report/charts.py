"""Charts as Vega-Lite specs (altair), rendered to inline SVG with vl-convert at render time: no JavaScript and
no request when a page is viewed, so pages work offline and print well.

Women and men have the same colour on every chart (Okabe–Ito vermillion and blue, told apart by colour-blind
readers, and by point shape too); the county is a solid line, the country a dashed one. A line is drawn only
between consecutive years of one series without a series break: a gap in the data stays a gap."""
from __future__ import annotations

import html
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import altair as alt

from jamstat.report import i18n

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
    sex: str        # K, M or T (T also carries a women's share, coloured as women: see `share`)
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


def _sex_scale(rows: list[dict], lang: str, *, share: bool) -> tuple[alt.Scale, dict]:
    labels = {"K": i18n.word(lang, "women_share" if share else "women"), "M": i18n.word(lang, "men"),
              "T": i18n.word(lang, "women_share" if share else "value")}
    present = [s for s in ("K", "M", "T") if any(r["sex"] == s for r in rows)]
    colours = [WOMEN if (share and s == "T") else SEX_STYLE[s][0] for s in present]
    return alt.Scale(domain=[labels[s] for s in present], range=colours), labels


def trend_spec(rows: list[dict], *, lang: str, unit: str | None, breaks: set[int], share: bool,
               target: float | None, width: int = 520, height: int = 210) -> dict:
    """Women and men (or women's share, or the single value) over time for the county and the country."""
    colour_scale, labels = _sex_scale(rows, lang, share=share)
    for r in rows:
        r["sex_label"] = labels[r["sex"]]
    areas = list(dict.fromkeys(r["area"] for r in sorted(rows, key=lambda r: r["role"] != "county")))
    dash = alt.Scale(domain=areas, range=[DASHES[next(r["role"] for r in rows if r["area"] == a)] for a in areas])
    years = [r["year"] for r in rows] + list(breaks)
    x = alt.X("year:Q", title=None, scale=alt.Scale(domain=[min(years) - 0.5, max(years) + 0.5], nice=False),
              axis=alt.Axis(format="d", tickMinStep=1, labelOverlap=True))
    y = alt.Y("value:Q", title=i18n.unit_label("percent" if share else unit, lang),
              scale=alt.Scale(zero=share or target == 0, domain=[0, 100] if share else alt.Undefined))
    base = alt.Chart(alt.Data(values=rows))
    layers = []
    if share:
        band = alt.Data(values=[{"lo": 40, "hi": 60}])
        layers.append(alt.Chart(band).mark_rect(color=BAND).encode(y="lo:Q", y2="hi:Q"))
    if target is not None:
        layers.append(alt.Chart(alt.Data(values=[{"t": target}])).mark_rule(color=RULE).encode(y="t:Q"))
    if breaks:
        marks = alt.Data(values=[{"x": b - 0.5, "label": i18n.word(lang, "series_break")} for b in sorted(breaks)])
        rule = alt.Chart(marks).mark_rule(color=RULE, strokeDash=[2, 2]).encode(x=alt.X("x:Q"))
        text = alt.Chart(marks).mark_text(align="left", dx=3, dy=-4, fontSize=10, color=RULE, baseline="top"
                                          ).encode(x="x:Q", y=alt.value(0), text="label:N")
        layers += [rule, text]
    colour = alt.Color("sex_label:N", scale=colour_scale, title=None)
    stroke_dash = alt.StrokeDash("area:N", scale=dash, title=None)
    layers.append(base.mark_line(strokeWidth=2).encode(x=x, y=y, color=colour, strokeDash=stroke_dash,
                                                       detail="series:N"))
    shapes = alt.Scale(domain=colour_scale.domain, range=[SEX_STYLE[s][1] for s in ("K", "M", "T")
                                                          if labels[s] in colour_scale.domain])
    layers.append(base.mark_point(filled=True, size=36).encode(x=x, y=y, color=colour,
                                                               shape=alt.Shape("sex_label:N", scale=shapes, title=None)))
    chart = alt.layer(*layers).properties(width=width, height=height)
    return chart.to_dict(validate=False) | {"config": CONFIG}


def spark_spec(rows: list[dict], *, share: bool, breaks: set[int]) -> dict:
    """A small trend without text (the numbers sit in the table row next to it), the same in both languages."""
    colours = {"K": WOMEN, "M": MEN, "T": WOMEN if share else TOTAL}
    for r in rows:
        r["colour"] = colours[r["sex"]]
    years = [r["year"] for r in rows] + list(breaks)
    x = alt.X("year:Q", axis=None, scale=alt.Scale(domain=[min(years) - 0.5, max(years) + 0.5], nice=False))
    y = alt.Y("value:Q", axis=None, scale=alt.Scale(zero=False, domain=[0, 100] if share else alt.Undefined))
    base = alt.Chart(alt.Data(values=rows))
    line = base.mark_line(strokeWidth=1.5).encode(x=x, y=y, color=alt.Color("colour:N", scale=None), detail="series:N")
    dots = base.mark_point(filled=True, size=14).encode(x=x, y=y, color=alt.Color("colour:N", scale=None))
    layers = [line, dots]
    if share:
        band = alt.Chart(alt.Data(values=[{"lo": 40, "hi": 60}])).mark_rect(color=BAND).encode(
            y=alt.Y("lo:Q", axis=None, scale=alt.Scale(domain=[0, 100])), y2="hi:Q")
        layers.insert(0, band)
    if breaks:
        marks = alt.Data(values=[{"x": b - 0.5} for b in sorted(breaks)])
        layers.insert(0, alt.Chart(marks).mark_rule(color=RULE, strokeDash=[2, 2]).encode(x="x:Q"))
    spec = alt.layer(*layers).properties(width=130, height=34).to_dict(validate=False)
    return spec | {"config": CONFIG | {"padding": 2}}


_ID = re.compile(r'id="([^"]+)"')


def _accessible(svg: str, alt_text: str, prefix: str) -> str:
    """Root <svg> as one image with its text alternative; ids made unique so charts on one page never share
    a clip path."""
    ids = set(_ID.findall(svg))
    for old in ids:
        svg = svg.replace(f'id="{old}"', f'id="{prefix}-{old}"').replace(f"url(#{old})", f"url(#{prefix}-{old})")
    label = html.escape(alt_text, quote=True)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" focusable="false" ', 1)


class Renderer:
    """Renders specs to SVG, each distinct (spec, locale) once, on a few threads (vl-convert releases the GIL)."""

    def __init__(self, workers: int = 2):
        self.workers = workers
        self._jobs: dict[str, tuple[dict, str]] = {}
        self._done: dict[str, str] = {}

    def add(self, key: str, spec: dict, lang: str) -> str:
        self._jobs.setdefault(key, (spec, lang))
        return key

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
