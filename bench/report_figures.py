"""`make bench` figures for the follow-up report, from a SYNTHETIC national-scale warehouse: generated in code
(bench/synthetic.py), built by the real dbt project, passed by the real gates and published like any other
publication, but into warehouse/bench/report_warehouse/ (never the real warehouse). Its source mode is
`synthetic`, so every page of the benchmark report carries the SYNTHETIC banner."""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from jamstat.settings import Settings

COUNTY = "01"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]


def _publish_synthetic(settings: Settings) -> Settings:
    """Generate, build, gate and publish the synthetic warehouse; returns settings that point at it."""
    from bench import synthetic
    from jamstat.gates.candidate_reader import candidate_digest
    from jamstat.gates.dbt_tests import dbt_gate_result
    from jamstat.gates.freshness import run_freshness_gate
    from jamstat.gates.great_expectations import run_gx_gate
    from jamstat.gates.report import summarize
    from jamstat.gates.soda import run_soda_gate
    from jamstat.publish.swap import publish
    from jamstat.transform.dbt_runner import ensure_dbt_packages, run_dbt

    work = settings.warehouse_dir / "bench"
    candidate = work / "report_national.duckdb"
    generated = synthetic.generate(candidate)
    print(f"    SYNTHETIC raw.observations: {generated['rows']:,} rows", flush=True)
    ensure_dbt_packages(settings)
    dbt = run_dbt(settings, "build", candidate=candidate, target_path=work / "report_dbt_target",
                  stream=lambda _l: None)
    if not dbt.success:
        raise RuntimeError(dbt.summary())
    gates = [dbt_gate_result(dbt, candidate_path=str(candidate)), run_freshness_gate(candidate),
             run_gx_gate(candidate), run_soda_gate(candidate)]
    if not all(g.success for g in gates):
        raise RuntimeError("gates failed on synthetic data:\n" + summarize(gates))
    digest = candidate_digest(candidate)  # publish accepts only the file every gate audited, as in the DAG
    for gate in gates:
        gate.candidate_sha256 = digest
    bench_settings = dataclasses.replace(settings, warehouse_dir=work / "report_warehouse")
    bench_settings.published_path.unlink(missing_ok=True)  # one synthetic publication, not a growing history
    publish(bench_settings, run_id="SYNTHETIC-bench", candidate=candidate,
            gate_results=[g.to_dict() for g in gates])
    return bench_settings


def _page_load_ms(site: Path) -> tuple[float, str]:
    """The slowest page of the site to load (navigation start to load event) in headless Chromium."""
    from playwright.sync_api import sync_playwright

    slowest = (0.0, "")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        try:
            page = browser.new_page()
            for html in sorted(site.rglob("*.html")):
                page.goto(html.as_uri(), wait_until="load")
                ms = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                                   " return n.loadEventEnd - n.startTime; }")
                slowest = max(slowest, (ms, str(html.relative_to(site))))
        finally:
            browser.close()
    return slowest


def report() -> dict:
    """report_render_s (one county, whole site), report_page_load_ms_max and report_size_mb at national scale."""
    from jamstat.report.site import render_report

    settings = _publish_synthetic(Settings.from_env())
    started = time.perf_counter()
    index = render_report(settings, county=COUNTY)
    render_s = time.perf_counter() - started
    site = index.parent.resolve()
    files = [p for p in site.rglob("*") if p.is_file()]
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    load_ms, slowest = _page_load_ms(site)
    pages = sum(1 for p in files if p.suffix == ".html")
    print(f"    county {COUNTY}: {pages} pages, {size_mb:.1f} MB; slowest page {slowest} ({load_ms:.0f} ms)")
    return {"report_render_s": round(render_s, 2), "report_page_load_ms_max": round(load_ms, 1),
            "report_size_mb": round(size_mb, 1), "report_pages": pages}
