"""One-time Airflow set-up after `airflow db migrate`: the pools that bound each source's rate and the
single DuckDB writer. Run by `make` (idempotent: `airflow pools import` upserts)."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile

# name -> (slots, description). Names are referenced by the DAG files through ingest.dag_config.
POOLS = {
    "kolada_api": (2, "Concurrent Kolada v3 fetch tasks (Kolada has no documented limit; clients keep <=5 req/s)"),
    "scb_api": (1, "SCB PxWeb: maxCallsPerTimeWindow is per client IP, so one task at a time"),
    "duckdb_writer": (1, "One writer per DuckDB file: dbt build into the candidate and publish"),
}


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
