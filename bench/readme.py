"""Write the measured figures of bench/results/latest.json into bench/README.md, between its two markers, so the
figures live with the benchmark and are never typed by hand."""
from __future__ import annotations

import json
import platform
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"


def table(figures: dict, targets: dict) -> str:
    lines = ["| figure | measured | target | |", "|---|---|---|---|"]
    for key in sorted(k for k in figures if not k.startswith("_")):
        value = figures[key]
        target, verdict = "", ""
        if key in targets:
            op, goal = targets[key]
            target = f"{op} {goal}"
            verdict = "met" if (value >= goal if op == ">=" else value <= goal) else "**missed**"
        lines.append(f"| `{key}` | {value} | {target} | {verdict} |")
    return "\n".join(lines)


def render(figures: dict, targets: dict, readme: Path = README) -> None:
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    stamp = (f"Last `make bench`: {time.strftime('%Y-%m-%d', time.gmtime())} on {platform.machine()}, "
             f"Python {platform.python_version()}.")
    readme.write_text(f"{head}{BEGIN}\n{stamp}\n\n{table(figures, targets)}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    from bench.__main__ import RESULTS, TARGETS
    render(json.loads(RESULTS.read_text()), TARGETS)
