"""An overall deadline per HTTP request: connecting, every retry with its back-off, and reading the whole body.

Socket timeouts bound each read, not the request: a server that trickles one byte every couple of seconds
never trips them and holds the task forever. While a request runs, the connections it uses are registered
with its `DeadlineWatch`; when the deadline passes, a timer shuts their sockets down, so the blocked read
fails at once, and the retry policy (ingest.http) starts no further attempt and sleeps no longer than what is
left. The session's adapter (`DeadlineAdapter`) installs the registering connection pools.
"""
from __future__ import annotations

import contextlib
import socket
import threading
import time

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class DeadlineWatch:
    """The deadline of one request, made by the calling thread; `with` it around the request."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._deadline = time.monotonic() + seconds
        self._connections: list = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> DeadlineWatch:
        _current.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()
        _current.watch = None

    def remaining(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def register(self, connection) -> None:
        with self._lock:
            if self.expired:
                _shut(connection)
            else:
                self._connections.append(connection)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for connection in self._connections:
                _shut(connection)


def current_deadline() -> DeadlineWatch | None:
    """The deadline of the request running in this thread, if any."""
    return getattr(_current, "watch", None)


def _shut(connection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _register(connection) -> None:
    watch = current_deadline()
    if watch is not None:
        watch.register(connection)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _register(self)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _register(self)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection

    def _get_conn(self, timeout=None):
        connection = super()._get_conn(timeout)
        _register(connection)  # a kept-alive connection is reused without connecting again
        return connection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection

    def _get_conn(self, timeout=None):
        connection = super()._get_conn(timeout)
        _register(connection)
        return connection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter with connection pools that register their connections with the request's deadline."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager
