"""Failure notification for every DAG: log always; POST to a webhook when JAMSTAT_NOTIFY_WEBHOOK is set."""
from __future__ import annotations

import json
import logging
import os
import urllib.request

log = logging.getLogger("jamstat.notify")


def failure_message(context: dict) -> str:
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    run_id = context.get("run_id") or getattr(ti, "run_id", "?")
    exc = context.get("exception")
    return f"jamstat: {dag_id}.{task_id} failed in run {run_id}: {exc}"


def on_failure(context: dict) -> None:
    """Airflow on_failure_callback. Never raises: a broken notifier must not hide the real failure."""
    message = failure_message(context)
    log.error(message)
    url = os.environ.get("JAMSTAT_NOTIFY_WEBHOOK")
    if not url:
        return
    try:
        body = json.dumps({"text": message}).encode()
        req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(req, timeout=10).close()
    except Exception as exc:  # noqa: BLE001 - report and carry on
        log.error("could not POST failure notice to JAMSTAT_NOTIFY_WEBHOOK: %s", exc)
