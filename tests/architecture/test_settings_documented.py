"""Every JAMSTAT_* setting the product, `make` and the compose stack read is documented exactly once, in the one
`.env.example` (which `make` reads as .env, and docker compose too)."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
READERS = ("ingest/**/*.py", "jamstat/**/*.py", "dags/*.py", "plugins/*.py", "docker/**/*", "Makefile",
           "docker-compose.yml", "Dockerfile", "tools/make_run.py", "tools/airflow_ui.py", "tools/dbt_docs.py")
# Set by the code itself for a child process or inside a container, never by a person.
INTERNAL = {
    "JAMSTAT_CANDIDATE_PATH": "jamstat/transform/dbt_runner.py passes the candidate to dbt",
    "JAMSTAT_PUBLISHED_PATH": "tools/dbt_docs.py passes the published file to dbt's docs target",
    "JAMSTAT_SECRETS_DIR": "docker-compose.yml sets it in the containers",
    "JAMSTAT_WAREHOUSE_DB": "docker-compose.yml sets it in the containers",
    "JAMSTAT_LOADER_ROLE": "the compose postgres init script's default, with the stack's fixed role name",
    "JAMSTAT_UID": "a Dockerfile build argument",
    "JAMSTAT_SPARK_TESTS": "set by `make test-spark` for its pytest run",
}
SETTING = re.compile(r"JAMSTAT_[A-Z0-9_]*[A-Z0-9]")


def _read_settings() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for pattern in READERS:
        for path in REPO.glob(pattern):
            if path.is_file() and not path.name.endswith(".example"):
                for name in SETTING.findall(path.read_text(encoding="utf-8", errors="replace")):
                    found.setdefault(name, set()).add(str(path.relative_to(REPO)))
    return found


def test_one_env_example():
    examples = [p.relative_to(REPO) for p in REPO.rglob(".env.example") if ".venv" not in p.parts]
    assert examples == [Path(".env.example")]


def test_every_setting_is_documented_once_in_env_example():
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    documented = re.findall(r"^#?\s*(JAMSTAT_[A-Z0-9_]+)=", text, flags=re.M)
    read = _read_settings()
    assert {"JAMSTAT_MODE", "JAMSTAT_KOLADA_YEARS", "JAMSTAT_BIND", "JAMSTAT_DOCS_PORT"} <= set(read)
    undocumented = {name: sorted(where) for name, where in read.items() if name not in documented
                    and name not in INTERNAL}
    assert undocumented == {}
    assert sorted(n for n in set(documented) if documented.count(n) > 1) == []


def test_make_reads_env_and_lets_the_environment_win(tmp_path):
    """The real Makefile, in a folder with a .env, plus one target that prints what its commands see."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    (tmp_path / "Makefile").write_text(makefile + '\nshow-env:\n\t@echo "$$JAMSTAT_MODE|$$JAMSTAT_KOLADA_YEARS"\n')
    (tmp_path / ".env").write_text("JAMSTAT_MODE=live\nJAMSTAT_KOLADA_YEARS=2019,2020\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("JAMSTAT_MODE", "JAMSTAT_KOLADA_YEARS", "MAKEFLAGS")}

    def show(**extra) -> str:
        out = subprocess.run(["make", "-s", "show-env"], cwd=tmp_path, env={**env, **extra}, capture_output=True,
                             text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    assert show() == "live|2019,2020"
    assert show(JAMSTAT_MODE="replay") == "replay|2019,2020"  # the shell's value wins over .env
    (tmp_path / ".env").unlink()
    assert show() == "|"
