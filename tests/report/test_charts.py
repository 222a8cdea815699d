"""The chart specs render to SVG with vl-convert (offline) and draw what they claim: points spread over the
whole width (a guide layer must not stretch the axis to zero), the colour of women and of men, the band."""
from __future__ import annotations

import re

from jamstat.report.charts import MEN, WOMEN, Point, segments, spark_spec, trend_spec


def render(spec: dict, lang: str = "sv") -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec, format_locale={"sv": "sv-SE", "en": "en-GB"}[lang], allowed_base_urls=[])


def line_xs(svg: str) -> list[float]:
    paths = re.findall(r'class="mark-line[^"]*"[^>]*>(.*?)</g>', svg, re.S)
    return [float(x) for p in paths for x in re.findall(r"[ML]([\d.]+),", p)]


def points(years, sexes="KM", role="county", area="Län") -> list[Point]:
    return [Point(y, 30.0 + i + (5 if s == "K" else 0), s, role, area) for i, y in enumerate(years) for s in sexes]


def test_spark_with_a_break_spans_its_width():
    svg = render(spark_spec(segments(points(range(1996, 2026)), {2014}), share=False, breaks={2014}))
    xs = line_xs(svg)
    assert xs and max(xs) - min(xs) > 100, "30 years over a 130 px chart"
    assert WOMEN in svg and MEN in svg
    assert "stroke-dasharray" in svg, "the break is marked"


def test_trend_chart_has_both_sexes_the_break_and_swedish_labels():
    rows = segments(points(range(2010, 2024)) + points(range(2010, 2024), role="country", area="Riket"), {2019})
    svg = render(trend_spec(rows, lang="sv", unit="percent", breaks={2019}, share=False, target=None))
    xs = line_xs(svg)
    assert max(xs) - min(xs) > 400
    assert "Seriebrott" in svg and "Kvinnor" in svg and "Män" in svg
    assert 'stroke-dasharray="6,3"' in svg, "the country is dashed"


def test_share_chart_shows_the_parity_band_and_women_colour():
    rows = segments([Point(y, 60.0 - i, "T", "county", "Län") for i, y in enumerate(range(2014, 2021))], set())
    svg = render(trend_spec(rows, lang="en", unit="percent", breaks=set(), share=True, target=50.0))
    assert "#E3E3E3" in svg.upper(), "the 40-60 band"
    assert WOMEN in svg and "Women's share" in svg
