"""The one HTTP layer every source client uses.

* `make_session(policy)` — a `requests.Session` with urllib3 `Retry` (exponential backoff with jitter,
  `Retry-After` honoured, retries on 429/500/502/503/504, timeouts and connection errors; no retry on
  other 4xx), a descriptive User-Agent and connect/read timeouts.
* An overall deadline per request (`RetryPolicy.deadline`, ingest.http_deadline): connecting, every retry
  and reading the whole body; a trickling server fails the request with `DeadlineExceeded`.
* `RateLimiter` — per-host pacing (minimum interval between calls, thread-safe) that also adapts to
  `X-Rate-Limit-Remaining` / `X-Rate-Limit-Reset` response headers (SCB sends them).
* `HttpClient.request(...)` — one call → a `Fetched` record (bytes, status, content type, the exact
  request) or a clear exception: `ReplayMiss`, `ClientError` (4xx), `RetryExhausted` (gave up).

Error messages say what happened and what to do next.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from ingest.http_deadline import DeadlineAdapter, DeadlineWatch, current_deadline

USER_AGENT = "jamstat/0.1 (+https://github.com/jamstat; gender-equality statistics warehouse)"

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)
REPLAY_MISS_HEADER = "X-Jamstat-Replay"


# --------------------------------------------------------------------------------------------- errors
class HttpError(RuntimeError):
    """Base class of every error raised by the HTTP layer."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None, body: bytes = b""):
        super().__init__(message)
        self.url = url
        self.status = status
        self.body = body


class ReplayMiss(HttpError):
    """The replay server has no recording for this request (HTTP 404 + `X-Jamstat-Replay: miss`)."""


class ClientError(HttpError):
    """A 4xx answer that must not be retried (400 bad query, 403 SCB cell limit, 404 unknown path …)."""


class RetryExhausted(HttpError):
    """Gave up after the configured number of attempts (5xx/429/timeouts/connection errors)."""


class DeadlineExceeded(RetryExhausted):
    """No complete answer within the request's overall deadline (slow or trickling server)."""


class PayloadError(HttpError):
    """The body could not be decoded (truncated JSON, wrong content) or lacks a required field."""


class SchemaDrift(PayloadError):
    """A field the client relies on is missing or has the wrong type: the source changed its format."""


# --------------------------------------------------------------------------------------------- policy
@dataclass(frozen=True)
class RetryPolicy:
    """Retry/timeout settings. Tests use tiny backoffs; production defaults are polite to public APIs."""

    attempts: int = 5                 # total attempts per request (first try included)
    backoff_factor: float = 1.0       # sleeps ≈ factor * 2**(n-1): 1, 2, 4, 8 s …
    backoff_max: float = 60.0
    backoff_jitter: float = 0.5       # + uniform(0, jitter) seconds
    retry_after_max: float = 120.0    # cap on an honoured Retry-After
    connect_timeout: float = 10.0
    read_timeout: float = 120.0       # per socket read: a trickling server never trips it, hence the deadline
    deadline: float = 300.0           # the whole request: connect, retries and back-off, the complete body
    statuses: tuple[int, ...] = RETRY_STATUSES

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """The defaults, with JAMSTAT_HTTP_ATTEMPTS, _BACKOFF, _READ_TIMEOUT and _DEADLINE_S applied."""
        env = os.environ
        return cls(attempts=int(env.get("JAMSTAT_HTTP_ATTEMPTS", cls.attempts)),
                   backoff_factor=float(env.get("JAMSTAT_HTTP_BACKOFF", cls.backoff_factor)),
                   read_timeout=float(env.get("JAMSTAT_HTTP_READ_TIMEOUT", cls.read_timeout)),
                   deadline=float(env.get("JAMSTAT_HTTP_DEADLINE_S", cls.deadline)))


DEFAULT_POLICY = RetryPolicy()


def _retry_class(cap: float) -> type[Retry]:
    class JamstatRetry(Retry):
        """Retry-After capped; no sleep past the request's deadline and no attempt after it."""

        def get_retry_after(self, response):  # type: ignore[override]
            value = super().get_retry_after(response)
            watch = current_deadline()
            return None if value is None else min(value, cap, watch.remaining() if watch else cap)

        def get_backoff_time(self) -> float:
            watch = current_deadline()
            return min(super().get_backoff_time(), watch.remaining()) if watch else super().get_backoff_time()

        def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
            watch = current_deadline()
            if watch is not None and watch.expired:
                raise MaxRetryError(_pool, url, error or TimeoutError(f"deadline of {watch.seconds:g} s passed"))
            return super().increment(method, url, response, error, _pool, _stacktrace)

    return JamstatRetry


def make_retry(policy: RetryPolicy = DEFAULT_POLICY) -> Retry:
    cls = _retry_class(policy.retry_after_max)
    retries = max(policy.attempts - 1, 0)
    return cls(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=3,
        allowed_methods=frozenset({"GET", "HEAD", "POST", "OPTIONS"}),  # SCB data POSTs are idempotent reads
        status_forcelist=policy.statuses,
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.backoff_max,
        backoff_jitter=policy.backoff_jitter,
        respect_retry_after_header=True,
        raise_on_status=False,   # we raise our own, clearer error with the last status
        raise_on_redirect=True,
    )


def make_session(policy: RetryPolicy = DEFAULT_POLICY, user_agent: str = USER_AGENT) -> requests.Session:
    """A Session with retries, the jamstat User-Agent and JSON Accept header. Timeouts are per request."""
    session = requests.Session()
    adapter = DeadlineAdapter(max_retries=make_retry(policy), pool_connections=4, pool_maxsize=4)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
    return session


# --------------------------------------------------------------------------------------------- pacing
class RateLimiter:
    """Per-host pacing: at least `interval` seconds between request starts to one host.

    Thread-safe; a process-wide instance (`LIMITER`) is shared by all clients. `observe()` adapts to
    `X-Rate-Limit-Remaining` / `X-Rate-Limit-Reset`: when the server says no calls remain, the next call
    to that host waits until the reset time (capped).
    """

    def __init__(self, default_interval: float = 0.0, max_reset_wait: float = 60.0):
        self.default_interval = default_interval
        self.max_reset_wait = max_reset_wait
        self._intervals: dict[str, float] = {}
        self._next_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def set_interval(self, host: str, seconds: float) -> None:
        with self._lock:
            self._intervals[host] = max(0.0, seconds)

    def interval(self, host: str) -> float:
        return self._intervals.get(host, self.default_interval)

    def wait(self, host: str) -> float:
        """Block until a call to `host` may start; returns the seconds slept."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_at.get(host, 0.0))
            self._next_at[host] = start + self.interval(host)
        delay = start - now
        if delay > 0:
            time.sleep(delay)
        return max(delay, 0.0)

    def observe(self, host: str, headers: Any) -> None:
        remaining = headers.get("X-Rate-Limit-Remaining") if headers is not None else None
        if remaining is None:
            return
        try:
            left = int(float(remaining))
        except ValueError:
            return
        if left > 0:
            return
        wait = _reset_seconds(headers.get("X-Rate-Limit-Reset"))
        wait = min(wait if wait is not None else self.interval(host) or 1.0, self.max_reset_wait)
        with self._lock:
            self._next_at[host] = max(self._next_at.get(host, 0.0), time.monotonic() + wait)


def _reset_seconds(value: str | None) -> float | None:
    """`X-Rate-Limit-Reset` as seconds from now: delta seconds, an epoch timestamp or an HTTP/ISO date."""
    if not value:
        return None
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        return max(0.0, number - time.time()) if number > 1e9 else max(0.0, number)
    for parse in (parsedate_to_datetime, lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))):
        try:
            when = parse(value)
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            continue
    return None


LIMITER = RateLimiter()


# --------------------------------------------------------------------------------------------- client
@dataclass
class Fetched:
    """One HTTP exchange as landed: the exact request and the raw response body."""

    url: str
    method: str
    request_body: Any
    status: int
    body: bytes
    content_type: str
    fetched_at: datetime
    headers: dict[str, str] = field(default_factory=dict)
    attempts: int = 1

    def text(self) -> str:
        return decode_text(self.body, self.url)

    def json(self) -> Any:
        return decode_json(self.body, self.url)


def decode_text(body: bytes, url: str = "") -> str:
    try:
        return body.decode("utf-8-sig")  # tolerates a leading BOM (SCB v1)
    except UnicodeDecodeError as exc:
        raise PayloadError(f"{url}: body is not UTF-8 ({exc}); check the source's charset", url=url) from exc


def decode_json(body: bytes, url: str = "") -> Any:
    text = decode_text(body, url)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        snippet = text[max(0, exc.pos - 40): exc.pos + 40].replace("\n", " ")
        raise PayloadError(
            f"{url}: response is not valid JSON ({exc.msg} at char {exc.pos} of {len(text)}; near {snippet!r}). "
            "The body may be truncated or an error page; the raw bytes are kept in the landing zone — "
            "re-run the unit, and if it persists inspect the raw file.",
            url=url, body=body,
        ) from exc


class HttpClient:
    """Session + per-host pacing + error mapping. One instance per unit of work is cheap."""

    def __init__(self, policy: RetryPolicy = DEFAULT_POLICY, session: requests.Session | None = None,
                 limiter: RateLimiter | None = None):
        self.policy = policy
        self.session = session or make_session(policy)
        self.limiter = limiter or LIMITER

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, url: str, params: dict | None = None) -> Fetched:
        return self.request("GET", url, params=params)

    def post_json(self, url: str, body: Any, params: dict | None = None) -> Fetched:
        return self.request("POST", url, params=params, json_body=body)

    def request(self, method: str, url: str, *, params: dict | None = None, json_body: Any = None) -> Fetched:
        host = urlsplit(url).netloc
        self.limiter.wait(host)
        data = None
        headers = {}
        if json_body is not None:
            data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            with DeadlineWatch(self.policy.deadline) as watch:
                try:
                    resp = self.session.request(method, url, params=params, data=data, headers=headers,
                                                timeout=self.policy.timeout)
                except requests.exceptions.RequestException as exc:
                    if watch.expired:
                        raise DeadlineExceeded(
                            f"{method} {url}: no complete answer within the {self.policy.deadline:g} s deadline "
                            "(JAMSTAT_HTTP_DEADLINE_S): the server is too slow or trickles its answer. Retry the "
                            "unit later.", url=url) from exc
                    raise
        except requests.exceptions.RetryError as exc:  # only raised when raise_on_status is True
            raise RetryExhausted(f"{method} {url}: gave up after {self.policy.attempts} attempts ({exc})",
                                 url=url) from exc
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            kind = "timed out" if _is_timeout(exc) else "could not connect"
            raise RetryExhausted(
                f"{method} {url}: {kind} on all {self.policy.attempts} attempts "
                f"(timeouts connect={self.policy.connect_timeout}s read={self.policy.read_timeout}s; {exc}). "
                "Check network access to the host or run with JAMSTAT_MODE=replay.",
                url=url,
            ) from exc
        self.limiter.observe(host, resp.headers)
        attempts = 1
        retries = getattr(resp.raw, "retries", None)
        if retries is not None:
            attempts = len(retries.history) + 1
        final_url = resp.url or url
        body = resp.content
        status = resp.status_code
        if status == 404 and resp.headers.get(REPLAY_MISS_HEADER, "").lower() == "miss":
            raise ReplayMiss(f"replay server has no recording for {method} {final_url}: {_snippet(body)}",
                             url=final_url, status=status, body=body)
        if status in self.policy.statuses:
            raise RetryExhausted(
                f"{method} {final_url}: gave up after {attempts} attempt(s); last status HTTP {status} "
                f"({_snippet(body)}). The source is failing or rate-limiting; retry the unit later.",
                url=final_url, status=status, body=body,
            )
        if 400 <= status < 600:
            raise ClientError(
                f"{method} {final_url}: HTTP {status} ({_snippet(body)}); not retried — "
                + _client_hint(status),
                url=final_url, status=status, body=body,
            )
        return Fetched(
            url=final_url, method=method, request_body=json_body, status=status, body=body,
            content_type=resp.headers.get("Content-Type", ""), fetched_at=datetime.now(UTC),
            headers=dict(resp.headers), attempts=attempts,
        )


def _client_hint(status: int) -> str:
    return {
        400: "the request is malformed (bad parameter, selection or too long URL); fix the query.",
        403: "at SCB 403 means the query exceeds the cell limit; split the query.",
        404: "unknown path or table id; check the catalog entry.",
    }.get(status, "check the request.")


def _is_timeout(exc: Exception) -> bool:
    if isinstance(exc, requests.exceptions.Timeout):
        return True
    return "timed out" in str(exc).lower() or "timeout" in type(exc).__name__.lower()


def _snippet(body: bytes, n: int = 200) -> str:
    text = body[:n].decode("utf-8", "replace").strip().replace("\n", " ")
    return text or "empty body"
