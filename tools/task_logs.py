"""Task logs of `make run` where the Airflow UI reads them.

`airflow dags test` runs every task in-process and logs to stdout only, so the UI shows "Log file not found" for
the runs `make run` makes. A scheduler's worker writes each task attempt's log as JSON lines to
`[logging] base_log_folder` / `log_filename_template`; this module writes the same file, in the same JSON
format (Airflow's own renderer), for each task `dags test` runs in this process, while stdout keeps its usual
console lines for `make run`'s progress and its per-DAG log files.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import BinaryIO

import structlog


class TaskLogTee:
    """A structlog processor that writes a JSON copy of each event to the current task's log file (if any) and
    passes the event on unchanged."""

    def __init__(self) -> None:
        self.file: BinaryIO | None = None
        self._render = None

    def _renderer(self):
        if self._render is None:
            from airflow.sdk._shared.logging.structlog import structlog_processors

            _, to_json, _ = structlog_processors(json_output=True)
            tracebacks = structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(use_rich=False, show_locals=False))

            def render(logger, method_name, event_dict):
                return to_json(logger, method_name, tracebacks(logger, method_name, event_dict))

            self._render = render
        return self._render

    def __call__(self, logger, method_name, event_dict):
        if self.file is not None:
            line = self._renderer()(logger, method_name, dict(event_dict))
            self.file.write(line.encode("utf-8") + b"\n")
            self.file.flush()
        return event_dict


TEE = TaskLogTee()


def _install(tee: TaskLogTee) -> None:
    """Put the tee just before the final renderer of structlog and of the stdlib bridge (Airflow configures
    both; the lists are shared by every logger already created, so an in-place insert reaches them all)."""
    processors = structlog.get_config()["processors"]
    if tee not in processors:
        processors.insert(max(len(processors) - 1, 0), tee)
    for handler in logging.getLogger().handlers:
        formatter = handler.formatter
        if isinstance(formatter, structlog.stdlib.ProcessorFormatter) and tee not in formatter.processors:
            formatter.processors.insert(max(len(formatter.processors) - 1, 0), tee)


def base_log_folder() -> str:
    from airflow.configuration import conf

    return conf.get("logging", "base_log_folder")


def task_log_path(ti) -> Path:
    """base_log_folder / the rendered log_filename_template of this try (what the UI's log reader opens)."""
    from airflow.sdk.log import init_log_file
    from airflow.utils.helpers import log_filename_template_renderer

    return init_log_file(log_filename_template_renderer()(ti=ti))


def logging_to_task_files(run_task):
    """Wrap `dag.test()`'s per-task runner so each task attempt also logs to its own file."""

    def run_with_log_file(*, ti, task, **kwargs):
        _install(TEE)
        with task_log_path(ti).open("ab") as log_file:
            TEE.file = log_file
            try:
                return run_task(ti=ti, task=task, **kwargs)
            finally:
                TEE.file = None

    return run_with_log_file


def enable() -> None:
    """From now on, every task `dags test` runs in this process writes its log file as a worker would."""
    from airflow.sdk.definitions import dag as dag_module

    dag_module._run_task = logging_to_task_files(dag_module._run_task)
