"""Replay server: serves recorded payloads over real HTTP on 127.0.0.1 (stdlib ThreadingHTTPServer).

Matching (`ingest/replay/manifest.json`, entries in order, first match wins):
* `method` equal and `path` equal (after percent-decoding; the prefix /kolada/v3, /scb/v2 or /scb/v1 included);
* `query`: the request's query parameters, minus `per_page` and `lang` unless the entry declares them, must
  equal the entry's `query` exactly (so `from_date` or an unknown parameter is a miss);
* optional `body` for POST: `{"match": "json", "file": …}` — canonical JSON equality with a recorded request
  body; or `{"match": "selection", "selection": {var: {"valueCodes": […], "codelist": …}}}` — each declared
  variable must be in the request's v2 `selection` with the same codelist and the same set of value codes
  (undeclared variables are not compared); or `{"match": "selection_subset", …}` — the request names exactly
  the declared variables, each with the same codelist and at least the recorded codes: a recording of a
  few areas and years answers a query for every area and year with the cells it holds (like the trimmed
  Kolada recording), flagged `X-Jamstat-Replay: subset`.
* optional `member`: the file is a recorder's wrapper and the response is this top-level member (served
  re-serialised as compact UTF-8 JSON; values unchanged).
A hit answers the entry's status, content type and the file's bytes (headers `X-Jamstat-Replay: hit`,
`X-Jamstat-Recording`, `X-Jamstat-Provenance`). A Kolada request whose last path segment lists several ids
(KPI metadata `/kpi/N1,N2`, data `…/year/2019,2020,2021`) that no entry names is answered from the recordings
of the single ids, their `values` concatenated in list order (`X-Jamstat-Replay: composed`); ids without a
recording add nothing (nor do those recorded as 4xx: a year without data), and a single id recorded with a
server error (5xx) fails the whole request with it, as the real API would.
A miss answers 404, `X-Jamstat-Replay: miss` and a JSON body naming the method, path, query and a hint.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

log = logging.getLogger(__name__)

REPLAY_DIR = Path(__file__).resolve().parent
MANIFEST = REPLAY_DIR / "manifest.json"
RECORDINGS = REPLAY_DIR / "recordings"
IGNORED_PARAMS = ("per_page", "lang")
KOLADA_LIST = re.compile(r"^(/kolada/v3/(?:kpi/|data/kpi/[^/]+(?:/municipality/[^/]+)?/year/))([^/,]+(?:,[^/,]+)+)$")


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class Recordings:
    """The manifest loaded and indexed by (method, path); file bodies read lazily and cached."""

    def __init__(self, manifest: Path = MANIFEST, root: Path = RECORDINGS):
        self.manifest_path = Path(manifest)
        self.root = Path(root)
        doc = json.loads(self.manifest_path.read_text("utf-8"))
        self.entries: list[dict] = doc["entries"] if isinstance(doc, dict) else doc
        self.index: dict[tuple[str, str], list[dict]] = {}
        for e in self.entries:
            self.index.setdefault((e.get("method", "GET").upper(), e["path"]), []).append(e)
            body = e.get("body")
            if body and body.get("match") == "json" and "file" in body:
                body["_canonical"] = canonical_json(json.loads((self.root / body["file"]).read_text("utf-8-sig")))
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def body_of(self, entry: dict) -> bytes:
        with self._lock:
            key = entry["file"] + "#" + entry.get("member", "")
            if key not in self._cache:
                data = (self.root / entry["file"]).read_bytes()
                if entry.get("member"):
                    doc = json.loads(data.decode("utf-8-sig"))[entry["member"]]
                    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                self._cache[key] = data
            return self._cache[key]

    def match(self, method: str, path: str, query: dict[str, str], body: bytes) -> dict | None:
        for e in self.index.get((method, path), []):
            declared = {k: str(v) for k, v in (e.get("query") or {}).items()}
            effective = {k: v for k, v in query.items() if k not in IGNORED_PARAMS or k in declared}
            if effective != declared:
                continue
            rule = e.get("body")
            if rule and not _body_matches(rule, body):
                continue
            return e
        return None

    def compose_kolada_list(self, method: str, path: str, query: dict[str, str]) -> tuple[bytes, list[dict]] | None:
        """A Kolada request for several ids from the single-id recordings; None when none is recorded."""
        m = KOLADA_LIST.match(path) if method == "GET" else None
        if not m:
            return None
        hits = [e for one in m.group(2).split(",") if (e := self.match("GET", m.group(1) + one, query, b""))]
        failed = [e for e in hits if int(e.get("status", 200)) >= 500]
        if failed:
            return self.body_of(failed[0]), failed[:1]
        hits = [e for e in hits if int(e.get("status", 200)) < 400]
        if not hits:
            return None
        values = [v for e in hits for v in json.loads(self.body_of(e).decode("utf-8-sig"))["values"]]
        return json.dumps({"values": values}, ensure_ascii=False).encode("utf-8"), hits


def _body_matches(rule: dict, body: bytes) -> bool:
    try:
        doc = json.loads(body.decode("utf-8-sig")) if body else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    if rule.get("match") == "json":
        return doc is not None and canonical_json(doc) == rule["_canonical"]
    if rule.get("match") in ("selection", "selection_subset"):
        if not isinstance(doc, dict) or not isinstance(doc.get("selection"), list):
            return False
        got = {s.get("variableCode"): s for s in doc["selection"] if isinstance(s, dict)}
        subset = rule["match"] == "selection_subset"
        if subset and set(got) != set(rule["selection"]):
            return False
        for var, want in rule["selection"].items():
            have = got.get(var)
            if have is None or (want.get("codelist") or None) != (have.get("codelist") or None):
                return False
            recorded, asked = set(map(str, want.get("valueCodes", []))), set(map(str, have.get("valueCodes") or []))
            if not (recorded <= asked if subset else recorded == asked):
                return False
        return True
    return False


def make_handler(recordings: Recordings):
    class Handler(BaseHTTPRequestHandler):
        server_version = "jamstat-replay/1"
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle on, each keep-alive response stalls ~40 ms
        # waiting for the client's delayed ACK.
        disable_nagle_algorithm = True

        def log_message(self, fmt, *args):  # quiet; route to logging
            log.debug("replay %s - %s", self.address_string(), fmt % args)

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            method = self.command.upper()
            entry = recordings.match(method, path, query, body)
            composed = None if entry else recordings.compose_kolada_list(method, path, query)
            if composed:
                data, parts = composed
                self._send(int(parts[0].get("status", 200)), "application/json; charset=utf-8", data, {
                    "X-Jamstat-Replay": "composed", "X-Jamstat-Recording": " + ".join(e["id"] for e in parts),
                    "X-Jamstat-Provenance": "+".join(sorted({e.get("provenance", "real") for e in parts}))})
                return
            if entry is None:
                payload = json.dumps({
                    "error": "replay miss: no recording matches this request",
                    "method": method, "path": path, "query": query,
                    "body": body[:500].decode("utf-8", "replace") if body else None,
                    "hint": "Only recorded requests can be replayed. Add a recording and an entry to "
                            "ingest/replay/manifest.json (method, path, query, optional body), or run live.",
                }, ensure_ascii=False).encode("utf-8")
                self._send(404, "application/json; charset=utf-8", payload, {"X-Jamstat-Replay": "miss"})
                return
            data = recordings.body_of(entry)
            how = "subset" if (entry.get("body") or {}).get("match") == "selection_subset" else "hit"
            self._send(int(entry.get("status", 200)), entry.get("content_type", "application/json; charset=utf-8"),
                       data, {"X-Jamstat-Replay": how, "X-Jamstat-Recording": entry.get("id", entry["file"]),
                              "X-Jamstat-Provenance": entry.get("provenance", "real")})

        def _send(self, status: int, ctype: str, data: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_HEAD = _handle

    return Handler


class ReplayServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def start(port: int = 0, host: str = "127.0.0.1", manifest: Path = MANIFEST,
          root: Path = RECORDINGS) -> tuple[ReplayServer, threading.Thread, str]:
    server = ReplayServer((host, port), make_handler(Recordings(manifest, root)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="jamstat-replay",
                              daemon=True)
    thread.start()
    url = f"http://{host}:{server.server_address[1]}"
    return server, thread, url


@contextmanager
def replay_server(port: int = 0, host: str = "127.0.0.1", manifest: Path = MANIFEST,
                  root: Path = RECORDINGS) -> Iterator[str]:
    """Run the replay server in a background thread; yields its base URL (http://127.0.0.1:<port>)."""
    server, thread, url = start(port, host, manifest, root)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def serve_forever(port: int = 8765, host: str = "127.0.0.1") -> None:
    """Foreground server for `python -m ingest replay`; stops cleanly on SIGTERM/SIGINT."""
    import signal

    server, thread, url = start(port, host)
    print(f"jamstat replay server listening on {url} — export JAMSTAT_REPLAY_URL={url}", flush=True)
    stop = threading.Event()

    def _stop(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        print("jamstat replay server stopped", flush=True)
