"""`make docs`: dbt docs of the PUBLISHED warehouse, served on this machine.

`dbt docs generate` runs with the `docs` target (dbt_project/profiles.yml): an in-memory DuckDB with the
published file attached read-only, so the catalog shows what analysts query (`jamstat.marts.*`) and nothing
can write to it. The site goes to warehouse/docs/ and is served over HTTP on JAMSTAT_BIND (default 127.0.0.1)
and JAMSTAT_DOCS_PORT (default 8081): opened as a file, dbt's site stays at "(loading)" because the browser
refuses to fetch manifest.json and catalog.json from file:// URLs. `static_index.html` next to it is the
one-file version that does open from disk.
"""
from __future__ import annotations

import argparse
import functools
import http.server
import os
import signal
import sys
import threading
from pathlib import Path

from jamstat.settings import Settings
from jamstat.transform.dbt_runner import run_dbt


def generate(settings: Settings, target_dir: Path) -> Path:
    """dbt docs generate against the published warehouse (read-only); returns the site folder."""
    published = settings.published_path
    if not published.exists():
        raise SystemExit(f"No published warehouse at {published}: run `make run` first, then `make docs`.")
    os.environ["JAMSTAT_PUBLISHED_PATH"] = str(published.resolve())
    print(f"==> dbt docs generate against {published} (read-only)", flush=True)
    result = run_dbt(settings, "docs generate", target="docs", extra_args=["--static"], target_path=target_dir,
                     stream=lambda line: print(f"    {line}", flush=True))
    if not result.success or not (target_dir / "index.html").exists():
        raise SystemExit(f"dbt docs generate failed (exit {result.returncode}); its log: {target_dir / 'logs'}")
    return target_dir


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


def serve(site: Path, host: str, port: int) -> None:
    """Serve the site until SIGINT/SIGTERM; prints the URL first."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"dbt docs: http://{shown}:{server.server_address[1]}/  (listening on {host}; Ctrl-C stops it)\n"
          f"  one-file version that opens from disk: {site / 'static_index.html'}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
        print("dbt docs server stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("JAMSTAT_DOCS_PORT") or 8081))
    parser.add_argument("--no-serve", action="store_true", help="only generate warehouse/docs/")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    site = generate(settings, settings.warehouse_dir / "docs")
    if not args.no_serve:
        serve(site, settings.bind_host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
