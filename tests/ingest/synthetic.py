"""SYNTHETIC test server: scripted HTTP responses generated in code (not recordings).

Used only for fault tests (retries, timeouts, 403 splitting, paging, schema drift …). Every response it
serves is constructed here and carries the header `X-Jamstat-Synthetic: yes`.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict | list = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json; charset=utf-8"

    def payload(self) -> bytes:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body, ensure_ascii=False).encode("utf-8")
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return self.body


class ScriptedServer:
    """`handler(request) -> Reply`; or a list of Replies served in order (the last one repeats)."""

    def __init__(self, handler: Callable[[Request], Reply] | list[Reply]):
        self.requests: list[Request] = []
        if isinstance(handler, list):
            script = list(handler)

            def handler(_req, _script=script):
                return _script.pop(0) if len(_script) > 1 else _script[0]
        self.handler = handler
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _do(self):
                parts = urlsplit(self.path)
                n = int(self.headers.get("Content-Length") or 0)
                req = Request(self.command, unquote(parts.path), dict(parse_qsl(parts.query)),
                              self.rfile.read(n) if n else b"")
                outer.requests.append(req)
                reply = outer.handler(req)
                if reply.delay:
                    time.sleep(reply.delay)
                data = reply.payload()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("X-Jamstat-Synthetic", "yes")
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _do

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def jsonstat_cube(selection: dict[str, list[str]], time_dim: str = "Tid", value_fn=None) -> dict:
    """A SYNTHETIC json-stat2 dataset for the given {dimension: codes} (values = running index)."""
    ids = list(selection)
    sizes = [len(selection[d]) for d in ids]
    n = 1
    for s in sizes:
        n *= s
    values = [value_fn(i) if value_fn else float(i) for i in range(n)]
    return {
        "version": "2.0", "class": "dataset", "label": "SYNTHETIC", "source": "jamstat tests",
        "id": ids, "size": sizes, "role": {"time": [time_dim], "metric": ["ContentsCode"]},
        "dimension": {d: {"label": d, "category": {"index": {c: i for i, c in enumerate(selection[d])},
                                                    "label": {c: c for c in selection[d]}}} for d in ids},
        "value": values, "extension": {"px": {"tableid": "SYNTH"}},
    }


class TricklingServer:
    """SYNTHETIC slow server: answers every request with a valid 200 JSON response, but sends it one byte every
    `interval` seconds (headers too when `trickle_headers`), so no single socket read ever times out."""

    def __init__(self, interval: float = 0.5, trickle_headers: bool = False,
                 body: bytes = b'{"values": [' + b" " * 4000 + b"]}"):
        import socket

        self.interval, self.trickle_headers, self.body = interval, trickle_headers, body
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.connections = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn) -> None:
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Jamstat-Synthetic: yes\r\n"
                b"Content-Length: " + str(len(self.body)).encode() + b"\r\n\r\n")
        try:
            conn.recv(65536)
            if not self.trickle_headers:
                conn.sendall(head)
            for byte in (head if self.trickle_headers else b"") + self.body:
                conn.sendall(bytes([byte]))
                time.sleep(self.interval)
        except OSError:
            pass
        finally:
            conn.close()

    def __enter__(self) -> TricklingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()
