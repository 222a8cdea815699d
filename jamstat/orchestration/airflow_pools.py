"""One-time Airflow set-up after `airflow db migrate`: the pools that bound each source's rate and the
single DuckDB writer (jamstat.orchestration.dag_settings.POOLS). Run by `make`; idempotent (`airflow pools
import` upserts)."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile

from jamstat.orchestration.dag_settings import POOLS


def main() -> int:
    payload = {name: {"slots": slots, "description": desc, "include_deferred": False}
               for name, (slots, desc) in POOLS.items()}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(payload, fh)
    result = subprocess.run([sys.executable, "-m", "airflow", "pools", "import", fh.name],
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout + result.stderr, file=sys.stderr)
        print("Could not create Airflow pools; check AIRFLOW_HOME and run `make clean run`.", file=sys.stderr)
        return result.returncode
    print(f"==> Airflow pools ready: {', '.join(POOLS)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
