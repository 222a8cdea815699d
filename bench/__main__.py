"""`make bench`: run every benchmark and merge its figures into bench/results/latest.json (a flat object).

Benchmarks are not tests: they report numbers and ratios against the targets in the issues. National-scale
figures use SYNTHETIC data generated in code (bench/synthetic.py), never published.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bench import figures, readme

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
TARGETS = {  # figure -> (comparison, target) from the issues
    "normalize_speedup_vs_pandas": (">=", 5), "noop_refresh_s": ("<=", 10), "dbt_build_national_s": ("<=", 60),
    "analyst_query_max_ms": ("<=", 50), "gates_national_s": ("<=", 30),
    "dbt_build_national_s_3m": ("<=", 30), "gates_national_s_3m": ("<=", 30), "analyst_query_max_ms_3m": ("<=", 50),
    "dbt_build_deso_s": ("<=", 180), "gates_deso_s": ("<=", 90), "dbt_build_deso_peak_rss_gb": ("<=", 8),
    "analyst_query_max_ms_deso": ("<=", 100),
    "report_render_s": ("<=", 30), "make_run_s": ("<=", 45), "report_page_load_ms_max": ("<=", 1000),
}


def main(names: list[str]) -> int:
    out = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    chosen = [b for b in figures.ALL if not names or b.__name__ in names]
    for bench in chosen:
        print(f"▶ {bench.__name__}", flush=True)
        t0 = time.monotonic()
        result = bench()
        out.update(result)
        for key, value in result.items():
            verdict = ""
            if key in TARGETS:
                op, target = TARGETS[key]
                ok = value >= target if op == ">=" else value <= target
                verdict = f"   target {op} {target}: {'met' if ok else 'MISSED'}"
            print(f"    {key:<34} {value}{verdict}", flush=True)
        print(f"  ({time.monotonic() - t0:.1f}s)")
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    readme.render(out, TARGETS)
    print(f"figures written to {RESULTS} and {readme.README}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
