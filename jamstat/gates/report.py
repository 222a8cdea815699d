"""Gate results for people: a one-screen summary (task logs, `make run`) and the Markdown quality report
written next to every publication or quarantine."""
from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jamstat.gates.result import ERROR, FAILED, MAX_EXAMPLES, PASSED, SKIPPED, WARNED, GateResult, as_dict, jsonable

_MARK = {PASSED: "ok", FAILED: "FAIL", WARNED: "WARN", SKIPPED: "skip", ERROR: "ERROR"}


# dbt's run_results vocabulary, mapped onto ours (the dbt gate records every test node as a check).
_DBT_STATUS = {"pass": PASSED, "success": PASSED, "fail": FAILED, "warn": WARNED, "skipped": SKIPPED,
               "error": ERROR, "runtime error": ERROR}


def _check_status(c: Mapping) -> str:
    s = c.get("status")
    if s in _MARK:
        return s
    if s in _DBT_STATUS:
        return _DBT_STATUS[s]
    return PASSED if c.get("success") else FAILED


def _short(v: Any, n: int = 160) -> str:
    s = json.dumps(jsonable(v), ensure_ascii=False, default=str) if not isinstance(v, str) else v
    return s if len(s) <= n else s[: n - 3] + "..."


def retract_command(batch_id: str) -> str:
    """What a person runs when a failing check's rows come from a bad batch."""
    return f'jamstat batches retract {batch_id} --reason "…"'


def summarize(results: Iterable[GateResult | Mapping], *, max_checks_per_gate: int = 8) -> str:
    """One screen of text: verdict, then per gate the failed/errored/warned checks with rows and examples."""
    rs = [as_dict(r) for r in results]
    failed = [r for r in rs if not r.get("success")]
    lines = [f"QUALITY GATES: {'PASSED' if rs and not failed else 'FAILED'} "
             f"({len(rs) - len(failed)}/{len(rs)} gates passed)"]
    if not rs:
        lines.append("  no gate results")
    for r in rs:
        checks = r.get("checks") or []
        cnt: dict[str, int] = {}
        for c in checks:
            cnt[_check_status(c)] = cnt.get(_check_status(c), 0) + 1
        dur = r.get("duration_s")
        lines.append(f"[{'PASS' if r.get('success') else 'FAIL'}] {r.get('gate')}"
                     + (f" {float(dur):.1f}s" if dur is not None else "")
                     + f" — {len(checks)} checks: " + ", ".join(f"{v} {k}" for k, v in sorted(cnt.items())))
        if r.get("error"):
            err = str(r["error"]).strip().splitlines()
            lines.append(f"    error: {err[0][:200]}" + (f" (+{len(err) - 1} more lines)" if len(err) > 1 else ""))
        bad = [c for c in checks if _check_status(c) in (FAILED, ERROR, WARNED)]
        bad.sort(key=lambda c: {FAILED: 0, ERROR: 1, WARNED: 2}.get(_check_status(c), 3))
        for c in bad[:max_checks_per_gate]:
            rows = c.get("failing_rows")
            lines.append(f"  {_MARK[_check_status(c)]:>5} {c.get('check')}"
                         + (f" — {rows} row(s)" if rows is not None else ""))
            if c.get("message"):
                lines.append(f"        {_short(c['message'], 200)}")
            else:
                lines.append(f"        observed {_short(c.get('observed'), 120)}; expected {_short(c.get('expected'), 80)}")
            for ex in (c.get("examples") or [])[:2]:
                lines.append(f"        e.g. {_short(ex, 180)}")
            for bid in (c.get("batch_ids") or [])[:3]:
                lines.append(f"        batch {bid[:16]}: if it is wrong, {retract_command(bid)}")
        if len(bad) > max_checks_per_gate:
            lines.append(f"  ... and {len(bad) - max_checks_per_gate} more (see the quality report)")
    return "\n".join(lines)


def _md(v: Any, n: int = 300) -> str:
    return _short(v, n).replace("|", "\\|").replace("\n", " ")


def write_report(results: Iterable[GateResult | Mapping], path: str | os.PathLike, *, title: str | None = None) -> Path:
    """Human-readable Markdown quality report: verdict, gate table, every check, examples of failures."""
    rs = [as_dict(r) for r in results]
    ok = bool(rs) and all(r.get("success") for r in rs)
    out = [f"# {title or 'jamstat quality report'}", "",
           f"Generated {datetime.now(UTC).isoformat(timespec='seconds')}. "
           f"Verdict: **{'PASSED — publishable' if ok else 'FAILED — not publishable'}**.", ""]
    if rs and rs[0].get("candidate_path"):
        out += [f"Candidate: `{rs[0]['candidate_path']}`", ""]
    out += ["| gate | result | checks | passed | warned | failed | errors | skipped | duration |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in rs:
        checks = r.get("checks") or []
        cnt = {s: sum(1 for c in checks if _check_status(c) == s) for s in (PASSED, WARNED, FAILED, ERROR, SKIPPED)}
        dur = r.get("duration_s")
        out.append(f"| {r.get('gate')} | {'PASS' if r.get('success') else '**FAIL**'} | {len(checks)} | {cnt[PASSED]} | "
                   f"{cnt[WARNED]} | {cnt[FAILED]} | {cnt[ERROR]} | {cnt[SKIPPED]} | "
                   f"{'' if dur is None else f'{float(dur):.1f}s'} |")
    for r in rs:
        checks = r.get("checks") or []
        out += ["", f"## {r.get('gate')}: {'PASS' if r.get('success') else 'FAIL'}", ""]
        if r.get("error"):
            out += ["Error (the gate could not run completely, which fails it):", "", "```",
                    str(r["error"]).strip()[:4000], "```", ""]
        attention = [c for c in checks if _check_status(c) in (FAILED, ERROR, WARNED)]
        if attention:
            out += ["### Needs attention", ""]
            for c in attention:
                out.append(f"- **{_MARK[_check_status(c)]}** `{c.get('check')}`"
                           + (f" — {c['failing_rows']} row(s)" if c.get("failing_rows") is not None else ""))
                if c.get("message"):
                    out.append(f"  - {_md(c['message'], 500)}")
                out.append(f"  - observed: `{_md(c.get('observed'), 400)}`")
                out.append(f"  - expected: `{_md(c.get('expected'), 400)}`")
                for ex in (c.get("examples") or [])[:MAX_EXAMPLES]:
                    out.append(f"  - example: `{_md(ex, 400)}`")
                for bid in c.get("batch_ids") or []:
                    out.append(f"  - from batch `{bid}` (`jamstat batches show {bid[:16]}`); if it is wrong: "
                               f"`{retract_command(bid)}`")
            out.append("")
        if checks:
            out += ["### All checks", "", "| status | check | failing rows | observed |", "|---|---|---|---|"]
            for c in checks:
                rows = c.get("failing_rows")
                obs = c.get("message") if _check_status(c) == SKIPPED else c.get("observed")
                out.append(f"| {_MARK[_check_status(c)]} | `{_md(c.get('check'), 200)}` | "
                           f"{'' if rows is None else rows} | {_md(obs, 160)} |")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("\n".join(out) + "\n", encoding="utf-8")
    return p
