"""Run `airflow dags test <dag_id>` for several DAGs in turn inside one Python process: the Airflow CLI's own
parser and command, so each is a real DAG run, but Airflow's start-up (imports, configuration, the in-process
execution API) is paid once instead of once per DAG. A failing DAG does not stop the next one. Each task also
writes its log file where the Airflow UI reads it (tools.task_logs).

Each DAG's output is framed by marker lines (BEGIN/END, see `marker`) so `make run` can split the log per DAG.
Exit status: 0 when every DAG run succeeded, 1 otherwise.
"""
from __future__ import annotations

import sys
import time
import traceback

BEGIN, END = "=== jamstat dag_runner BEGIN", "=== jamstat dag_runner END"
TASK_LOGS = "=== jamstat dag_runner TASK_LOGS"  # followed by the folder the task log files go to


def marker(kind: str, dag_id: str, **fields) -> str:
    return " ".join([kind, dag_id, *(f"{k}={v}" for k, v in fields.items())])


def run(dag_ids: list[str]) -> int:
    from airflow.cli import cli_parser

    from tools import task_logs

    task_logs.enable()
    print(marker(TASK_LOGS, task_logs.base_log_folder()), flush=True)
    parser = cli_parser.get_parser()
    worst = 0
    for dag_id in dag_ids:
        print(marker(BEGIN, dag_id), flush=True)
        started = time.monotonic()
        try:
            args = parser.parse_args(["dags", "test", dag_id])
            args.func(args)
            rc = 0
        except SystemExit as exc:  # the dags test command exits non-zero when the DAG run failed
            rc = exc.code if isinstance(exc.code, int) else 1
        except Exception:  # noqa: BLE001 - a DAG that cannot even start fails alone; the next one still runs
            traceback.print_exc(file=sys.stdout)
            rc = 1
        sys.stdout.flush()
        print(marker(END, dag_id, rc=rc, seconds=f"{time.monotonic() - started:.1f}"), flush=True)
        worst = max(worst, 1 if rc else 0)
    return worst


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
