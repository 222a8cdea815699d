"""Render the follow-up report from the published warehouse into warehouse/report/<run_id>/ and re-point
warehouse/report/current atomically (like the Parquet exports): the site is written into a hidden staging
directory, renamed into place complete, then `current` is swapped; a failure leaves `current` as it was.

    python -m jamstat.report [--county 20]        (`make report`) prints the path of index.html
"""
from __future__ import annotations

import csv
import io
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from jamstat.report import i18n, pages, queries
from jamstat.report.charts import Renderer
from jamstat.report.views import Views
from jamstat.settings import Settings, safe_run_id

log = logging.getLogger(__name__)

KEEP_GENERATIONS = 3
STATIC = Path(__file__).resolve().parent / "static"


def _environment(renderer: Renderer) -> Environment:
    env = Environment(loader=PackageLoader("jamstat.report", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
    counter = {"n": 0}

    def svg(chart) -> Markup:
        # vl-convert's SVG escapes its own text; the text alternative is escaped when it is inserted
        counter["n"] += 1
        return Markup(renderer.svg(chart.key, chart.alt, f"c{counter['n']}"))

    env.globals.update(svg=svg, optional=queries.optional)
    return env


def source_mode(publication: dict | None) -> str:
    """live | replay | synthetic | unknown: what the banner on every page says."""
    modes = set((publication or {}).get("source_modes") or [])
    for mode in ("synthetic", "replay"):
        if mode in modes:
            return mode
    return "live" if modes == {"live"} else "unknown"


def quality_results(settings: Settings, publication: dict | None) -> list[dict] | None:
    """The publication's full gate results (warehouse/reports/<run_id>/results.json) when they are kept."""
    if not publication:
        return None
    path = settings.reports_dir / safe_run_id(publication["run_id"]) / "results.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _page_list(views: Views) -> list[tuple[str, str, dict]]:
    """(file name, template, extra context) for every page of one language."""
    listed = [("index.html", "start.html", {}), ("coverage.html", "coverage.html", {}),
              ("quality.html", "quality.html", {})]
    listed += [(f"goal-{g['goal_id']}.html", "goal.html", {"goal": g}) for g in views.goal_tree()]
    listed += [(f"municipality-{m['area_code']}.html", "municipality.html", {"area": m})
               for m in views.data.municipalities]
    listed += [(f"indicator-{i}.html", "indicator.html", {"ind": views.indicators[i]}) for i in views.indicators]
    return listed


def _context(page: str, template: str, extra: dict, views: Views, renderer: Renderer, lang: str) -> dict:
    """Per-page data; the charts the page needs are registered on the renderer here."""
    if template == "goal.html":
        extra = extra | {"blocks": {i.id: pages.indicator_block(views, renderer, i, lang)
                                    for sub in extra["goal"]["subgoals"]
                                    for i in views.subgoal_indicators(sub["subgoal_key"])}}
    elif template == "indicator.html":
        block = pages.indicator_block(views, renderer, extra["ind"], lang)
        extra = extra | {"block": block, "link": pages.source_link(extra["ind"].row),
                         "provenance": views.data.provenance.get(extra["ind"].id),
                         "months": [r for r in views.data.latest_months if r["indicator_id"] == extra["ind"].id]}
    elif template == "municipality.html":
        extra = extra | {"goals": pages.profile_rows(views, renderer, extra["area"]["area_code"], lang)}
    elif template == "start.html":
        extra = extra | {"tiles": {s["subgoal_key"]: views.tile(s) for g in views.goal_tree()
                                   for s in g["subgoals"]}}
    return extra | {"page": page}


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=pages.CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def build(settings: Settings, target: Path, county: str) -> dict:
    """Write the whole site for one county into `target` (an empty directory)."""
    started = time.perf_counter()
    data = queries.load(settings.published_path, county)
    views = Views(data)
    renderer = Renderer(workers=max(1, min(4, os.cpu_count() or 1)))
    env = _environment(renderer)
    mode = source_mode(data.publication)
    common = {"views": views, "county": data.county, "publication": data.publication, "mode": mode,
              "banner": i18n.MODE_BANNER.get(mode), "quality": quality_results(settings, data.publication),
              "overall": views.overall_goal(), "goal_tree": views.goal_tree()}
    work = []
    for lang in i18n.LANGS:
        for page, template, extra in _page_list(views):
            work.append((lang, page, template, _context(page, template, extra, views, renderer, lang)))
    loaded = time.perf_counter()
    renderer.run()
    charted = time.perf_counter()
    for lang, page, template, context in work:
        folder = target if lang == "sv" else target / lang
        folder.mkdir(parents=True, exist_ok=True)
        html = env.get_template(template).render(
            **common, **context, lang=lang, fmt=pages.Fmt(lang), rel="" if lang == "sv" else "../",
            other=("en/" if lang == "sv" else "../") + page, other_lang="en" if lang == "sv" else "sv")
        (folder / page).write_text(html, encoding="utf-8")
        if lang == "sv" and template == "indicator.html":
            (target / "data").mkdir(exist_ok=True)
            rows = pages.csv_rows(views, context["ind"], [views.county, views.country],
                                  views.ranking(context["ind"]))
            (target / "data" / f"{context['ind'].id}.csv").write_text(_csv(rows), encoding="utf-8")
    shutil.copytree(STATIC, target / "assets")
    return {"pages": len(work), "charts": renderer.count, "county": county, "mode": mode,
            "seconds": {"load_and_layout": round(loaded - started, 2), "charts": round(charted - loaded, 2),
                        "pages": round(time.perf_counter() - charted, 2)}}


def _generation_name(root: Path, run_id: str) -> str:
    """report/<run_id>/ for a publication; a re-render of the same publication gets <run_id>.2, .3 … so the
    directory `current` points at is never written into."""
    base = safe_run_id(run_id)
    name, n = base, 1
    while (root / name).exists():
        n += 1
        name = f"{base}.{n}"
    return name


def _swap_current(root: Path, generation: str) -> None:
    link_tmp = root / ".current.tmp"
    link_tmp.unlink(missing_ok=True)
    os.symlink(generation, link_tmp)
    os.replace(link_tmp, root / "current")


def _prune(root: Path) -> None:
    """Keep the last few generations (readers may still be on one); never the one `current` points at."""
    current = (root / "current").resolve()
    generations = sorted((p for p in root.iterdir() if p.is_dir() and not p.is_symlink()
                          and not p.name.startswith(".")), key=lambda p: p.stat().st_mtime)
    for old in generations[:-KEEP_GENERATIONS]:
        if old.resolve() != current:
            shutil.rmtree(old, ignore_errors=True)


def render_report(settings: Settings, *, county: str | None = None, expected_run_id: str | None = None) -> Path:
    """Render the report of the latest publication and make it `current`; returns current/index.html."""
    import duckdb

    county = county or settings.report_county
    if not settings.published_path.exists():
        raise queries.ReportDataError(f"no published warehouse at {settings.published_path}: run `make run` first")
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        publication = queries.latest_publication(con)
    run_id = (publication or {}).get("run_id") or "unpublished"
    if expected_run_id and run_id != expected_run_id:
        raise queries.ReportDataError(
            f"the published warehouse holds run {run_id!r}, not {expected_run_id!r}: the publication did not land "
            "or a later one replaced it; re-render with `make report`")
    root = settings.report_dir
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f".{safe_run_id(run_id)}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        summary = build(settings, staging, county)
        generation = _generation_name(root, run_id)
        os.replace(staging, root / generation)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_current(root, generation)
    _prune(root)
    log.info("report %s: %s", root / generation, json.dumps(summary))
    return root / "current" / "index.html"


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m jamstat.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--county", help="two-digit county code (default JAMSTAT_REPORT_COUNTY or 01)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings.from_env()
    try:
        index = render_report(settings, county=args.county)
    except queries.ReportDataError as exc:
        print(f"report not rendered: {exc}", file=sys.stderr)
        return 1
    print(f"Report: {index}  (open it in a browser; it works offline)")
    return 0
