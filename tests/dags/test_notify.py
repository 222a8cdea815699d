"""The failure callback logs always and, when JAMSTAT_NOTIFY_WEBHOOK is set, POSTs the message (real HTTP to a
local server). A broken webhook never raises: it must not hide the task's own failure."""
from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

from jamstat.orchestration import failure_alerts as notify

CONTEXT = {"task_instance": SimpleNamespace(dag_id="transform_publish", task_id="gate_soda", run_id="r1"),
           "run_id": "r1", "exception": RuntimeError("soda:fct_indicator_value:duplicate failed")}


def test_logs_without_webhook(monkeypatch, caplog):
    monkeypatch.delenv("JAMSTAT_NOTIFY_WEBHOOK", raising=False)
    with caplog.at_level(logging.ERROR, logger="jamstat.notify"):
        notify.on_failure(CONTEXT)
    assert "transform_publish.gate_soda failed in run r1: soda:fct_indicator_value:duplicate failed" in caplog.text


def test_posts_to_webhook(monkeypatch):
    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("JAMSTAT_NOTIFY_WEBHOOK", f"http://127.0.0.1:{server.server_port}/hook")
        notify.on_failure(CONTEXT)
    finally:
        server.shutdown()
    assert received == [{"text": notify.failure_message(CONTEXT)}]


def test_broken_webhook_does_not_raise(monkeypatch, caplog):
    monkeypatch.setenv("JAMSTAT_NOTIFY_WEBHOOK", "http://127.0.0.1:9/unreachable")
    with caplog.at_level(logging.ERROR, logger="jamstat.notify"):
        notify.on_failure(CONTEXT)
    assert "could not POST failure notice" in caplog.text
