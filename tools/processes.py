"""Processes and ports for the harnesses: liveness, process groups and descendants read from /proc, free
loopback ports, and the Airflow admin password that SimpleAuthManager generates."""
from __future__ import annotations

import json
import os
import socket
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return b""


def read_environ(pid: int) -> list[bytes]:
    return _read(f"/proc/{pid}/environ").split(b"\0")


def proc_info(pid: int) -> dict | None:
    stat = _read(f"/proc/{pid}/stat").decode(errors="replace")
    if not stat:
        return None
    try:
        fields = stat.rsplit(")", 1)[1].split()
    except IndexError:
        return None
    cmdline = _read(f"/proc/{pid}/cmdline").replace(b"\0", b" ").decode(errors="replace").strip()
    # fields[19] is stat field 22, the start time in clock ticks: (pid, start) identifies a process even if
    # the PID is later reused, so a harness never signals somebody else's process.
    return {"pid": pid, "state": fields[0], "ppid": int(fields[1]), "pgid": int(fields[2]),
            "start": int(fields[19]), "cmdline": cmdline}


def all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def alive(pid: int) -> bool:
    """Running and not a zombie."""
    info = proc_info(pid)
    return bool(info) and info["state"] != "Z"


def group_members(pgid: int) -> list[int]:
    """Live members of a process group."""
    members = []
    for pid in all_pids():
        info = proc_info(pid)
        if info and info["pgid"] == pgid and info["state"] != "Z":
            members.append(pid)
    return sorted(members)


def descendants(root_pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid in all_pids():
        info = proc_info(pid)
        if info:
            children.setdefault(info["ppid"], []).append(pid)
    out, stack = [], [root_pid]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def airflow_admin_password(airflow_home: Path) -> str | None:
    """The admin password SimpleAuthManager wrote into AIRFLOW_HOME, or None before it exists."""
    try:
        return json.loads((Path(airflow_home) / "simple_auth_manager_passwords.json.generated").read_text()).get("admin")
    except (OSError, ValueError):
        return None


def _listening_inodes() -> dict[str, tuple[str, int]]:
    """socket inode -> (address, port) of every listening TCP socket on this host (/proc/net/tcp{,6})."""
    import ipaddress

    out = {}
    for table, width in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        for line in _read(table).decode().splitlines()[1:]:
            fields = line.split()
            if len(fields) < 10 or fields[3] != "0A":  # 0A = LISTEN
                continue
            hex_addr, hex_port = fields[1].split(":")
            raw = bytes.fromhex(hex_addr)
            # the kernel prints each 32-bit word in host (little-endian) order
            addr = b"".join(raw[i:i + 4][::-1] for i in range(0, width, 4))
            out[fields[9]] = (str(ipaddress.ip_address(addr)), int(hex_port, 16))
    return out


def listening_sockets(pids: list[int]) -> list[tuple[int, str, int]]:
    """(pid, address, port) of every TCP socket the given processes listen on."""
    inodes = _listening_inodes()
    found = []
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and (inode := target[8:-1]) in inodes:
                found.append((pid, *inodes[inode]))
    return sorted(set(found))
