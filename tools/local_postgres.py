"""A throwaway, private PostgreSQL server on 127.0.0.1 for tests and local multi-process runs.

    with temporary_postgres() as pg:          # initdb in a temp dir, pg_ctl start on a free loopback port
        pg.url                                # postgresql://postgres:<random>@127.0.0.1:<port>/postgres
        pg.create_database("warehouse")
    # stopped (exactly this server, by its data directory and postmaster PID) and the temp dir removed

Nothing here touches /etc, systemd or the Debian `main` cluster. When running as root the server binaries
are run as the `postgres` OS user (`runuser -u postgres --`), because PostgreSQL refuses to run as root.
The superuser password is random per server and never written anywhere but the server's own data dir.

CLI (for a distributed test by hand):
    python -m tools.local_postgres start --dir /tmp/jamstat-pg      # prints the URL as JSON, keeps running
    python -m tools.local_postgres stop  --dir /tmp/jamstat-pg
"""
from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

from tools.processes import alive, free_port

INSTALL_HINT = ("apt-get update && apt-get install -y postgresql   (Debian/Ubuntu; or set JAMSTAT_PG_BIN to the "
                "directory holding initdb and pg_ctl)")


class PostgresBinariesMissing(RuntimeError):
    """initdb/pg_ctl are not installed. Raised loudly; tests may skip on it only outside CI."""


def find_pg_bin() -> Path:
    """The directory with initdb + pg_ctl: $JAMSTAT_PG_BIN, else the newest /usr/lib/postgresql/*/bin, else PATH."""
    candidates: list[Path] = []
    if os.environ.get("JAMSTAT_PG_BIN"):
        candidates.append(Path(os.environ["JAMSTAT_PG_BIN"]))
    versioned = glob.glob("/usr/lib/postgresql/*/bin")
    versioned.sort(key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0, reverse=True)
    candidates += [Path(p) for p in versioned]
    if shutil.which("pg_ctl"):
        candidates.append(Path(shutil.which("pg_ctl")).parent)
    for c in candidates:
        if (c / "initdb").is_file() and (c / "pg_ctl").is_file() and (c / "postgres").is_file():
            return c
    raise PostgresBinariesMissing(
        "PostgreSQL SERVER binaries (initdb, pg_ctl, postgres) NOT FOUND "
        f"(looked in: {', '.join(map(str, candidates)) or 'JAMSTAT_PG_BIN, /usr/lib/postgresql/*/bin, PATH'}). "
        f"Install them: {INSTALL_HINT}")


def _as_server_user() -> tuple[list[str], str | None]:
    """Command prefix and OS user to run the server binaries as (root → the postgres user)."""
    if os.geteuid() != 0:
        return [], None
    user = os.environ.get("JAMSTAT_PG_OS_USER", "postgres")
    try:
        pwd.getpwnam(user)
    except KeyError as exc:
        raise PostgresBinariesMissing(
            f"running as root but OS user {user!r} does not exist; PostgreSQL refuses to run as root. "
            f"Install the server package (it creates the user): {INSTALL_HINT}") from exc
    if not shutil.which("runuser"):
        raise PostgresBinariesMissing("running as root and `runuser` is missing (util-linux); cannot drop to postgres")
    return ["runuser", "-u", user, "--"], user


@dataclass
class PgServer:
    base_dir: str
    host: str
    port: int
    superuser: str
    password: str
    pid: int | None = None

    @property
    def data_dir(self) -> Path:
        return Path(self.base_dir) / "data"

    @property
    def socket_dir(self) -> Path:
        return Path(self.base_dir)

    def url_for(self, dbname: str = "postgres", user: str | None = None, password: str | None = None) -> str:
        user = user or self.superuser
        password = self.password if password is None and user == self.superuser else password
        auth = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
        return f"postgresql://{auth}@{self.host}:{self.port}/{dbname}"

    @property
    def url(self) -> str:
        return self.url_for()

    def connect(self, dbname: str = "postgres", **kw):
        import psycopg

        return psycopg.connect(self.url_for(dbname), **kw)

    def create_database(self, name: str, owner: str | None = None) -> str:
        """CREATE DATABASE (idempotent); returns the superuser URL for it."""
        from psycopg import sql

        with self.connect(autocommit=True) as con:
            if not con.execute("select 1 from pg_database where datname = %s", [name]).fetchone():
                stmt = sql.SQL("create database {}").format(sql.Identifier(name))
                if owner:
                    stmt += sql.SQL(" owner {}").format(sql.Identifier(owner))
                con.execute(stmt)
        return self.url_for(name)

    def stop(self) -> None:
        stop_server(self)


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def start_server(base_dir: Path | None = None, *, port: int | None = None, host: str = "127.0.0.1",
                 superuser: str = "postgres", settings: dict[str, str] | None = None) -> PgServer:
    """initdb + pg_ctl start. The caller must call stop_server() (or use temporary_postgres())."""
    pg_bin = find_pg_bin()
    prefix, os_user = _as_server_user()
    base = Path(base_dir) if base_dir else Path(tempfile.mkdtemp(prefix="jamstat-pg-"))
    base.mkdir(parents=True, exist_ok=True)
    if os_user:
        shutil.chown(base, user=os_user)
    os.chmod(base, 0o700)
    pw = secrets.token_urlsafe(24)  # a fresh random superuser password per throwaway server
    pwfile = base / "pwfile"
    pwfile.write_text(pw + "\n")
    os.chmod(pwfile, 0o600)
    if os_user:
        shutil.chown(pwfile, user=os_user)
    server = PgServer(base_dir=str(base), host=host, port=port or 0, superuser=superuser, password=pw)
    try:
        r = _run([*prefix, str(pg_bin / "initdb"), "-D", str(server.data_dir), "-U", superuser,
                  "-A", "scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        if r.returncode != 0:
            raise RuntimeError(f"initdb failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    finally:
        pwfile.unlink(missing_ok=True)
    opts = {"listen_addresses": host, "unix_socket_directories": str(server.socket_dir), "fsync": "off",
            "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "50",
            "shared_buffers": "64MB", **(settings or {})}
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between probing and binding; retry on another
        server.port = port or free_port(host)
        o = " ".join(f"-c {k}={v}" for k, v in opts.items()) + f" -p {server.port}"
        r = _run([*prefix, str(pg_bin / "pg_ctl"), "-D", str(server.data_dir), "-l", str(base / "server.log"),
                  "-o", o, "-w", "-t", "60", "start"])
        if r.returncode == 0:
            pid_file = server.data_dir / "postmaster.pid"
            server.pid = int(pid_file.read_text().splitlines()[0])
            (base / "server.json").write_text(json.dumps(asdict(server)))
            os.chmod(base / "server.json", 0o600)
            return server
        log_tail = (base / "server.log").read_text()[-2000:] if (base / "server.log").exists() else ""
        last_error = f"{r.stdout}\n{r.stderr}\n{log_tail}"
        if port:
            break
    shutil.rmtree(base, ignore_errors=True)
    raise RuntimeError(f"pg_ctl start failed:\n{last_error}")


def stop_server(server: PgServer, *, remove: bool = True) -> None:
    """Stop exactly this server (pg_ctl on its data dir; SIGTERM→SIGQUIT to its own postmaster PID as fallback)."""
    try:
        pg_bin = find_pg_bin()
        prefix, _ = _as_server_user()
        if server.data_dir.exists():
            _run([*prefix, str(pg_bin / "pg_ctl"), "-D", str(server.data_dir), "-m", "fast", "-w", "-t", "30", "stop"])
    except PostgresBinariesMissing:
        pass
    if server.pid and _is_our_postmaster(server):
        for sig in (signal.SIGTERM, signal.SIGQUIT, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.kill(server.pid, sig)
            for _ in range(50):
                if not alive(server.pid):
                    break
                time.sleep(0.1)
            if not alive(server.pid):
                break
    if remove:
        shutil.rmtree(server.base_dir, ignore_errors=True)


def _is_our_postmaster(server: PgServer) -> bool:
    """Only signal a PID whose command line names our data dir (PIDs get reused)."""
    try:
        cmdline = Path(f"/proc/{server.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return str(server.data_dir) in cmdline


@contextlib.contextmanager
def temporary_postgres(**kw) -> Iterator[PgServer]:
    server = start_server(**kw)
    try:
        yield server
    finally:
        stop_server(server)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=["start", "stop", "status"])
    p.add_argument("--dir", required=True, help="base directory of the throwaway server (created by start)")
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--host", default="127.0.0.1")
    a = p.parse_args(argv)
    base = Path(a.dir)
    if a.action == "start":
        if (base / "server.json").exists():
            print(f"{base} already holds a server; stop it first", file=sys.stderr)
            return 1
        server = start_server(base, port=a.port, host=a.host)
        print(json.dumps({"url": server.url, "pid": server.pid, "port": server.port, "dir": str(base)}))
        return 0
    info = base / "server.json"
    if not info.exists():
        print(f"no server recorded in {base}", file=sys.stderr)
        return 1
    server = PgServer(**json.loads(info.read_text()))
    if a.action == "status":
        print(json.dumps({"url": server.url, "pid": server.pid, "alive": bool(server.pid and alive(server.pid))}))
        return 0
    stop_server(server)
    print(f"stopped PostgreSQL pid {server.pid} and removed {base}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
