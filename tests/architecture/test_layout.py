"""The layout the README promises, enforced: stages layered (import-linter), no dead code (vulture), small
modules and functions."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRODUCT = ("ingest", "jamstat", "dags")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def _product_files() -> list[Path]:
    return sorted(p for root in PRODUCT for p in (REPO / root).rglob("*.py"))


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True,
                         env={"PYTHONPATH": str(REPO), "PATH": str(lint.parent)})
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout and "6 kept" in out.stdout


def test_no_dead_code_in_the_product():
    vulture = Path(sys.executable).with_name("vulture")
    out = subprocess.run([str(vulture), *PRODUCT, "tests/architecture/vulture_whitelist.py",
                          "--min-confidence", "60"], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, "dead code (delete it, or whitelist a framework entry point):\n" + out.stdout


def test_modules_are_small():
    big = {str(p.relative_to(REPO)): n for p in _product_files()
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not big, f"product modules over {MAX_MODULE_LINES} lines (split along their seams): {big}"


@pytest.mark.parametrize("path", _product_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_functions_are_short(path: Path):
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)" for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{path.relative_to(REPO)}: functions over {MAX_FUNCTION_LINES} lines: {long}"
