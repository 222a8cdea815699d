"""HTTP layer fault tests — all responses are SYNTHETIC (constructed in tests/ingest/synthetic.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from ingest.http import (
    USER_AGENT,
    ClientError,
    DeadlineExceeded,
    HttpClient,
    PayloadError,
    RateLimiter,
    RetryExhausted,
    RetryPolicy,
    decode_json,
    make_session,
)
from jamstat.settings import REPO_ROOT
from tests.ingest.conftest import FAST
from tests.ingest.synthetic import Reply, ScriptedServer, TricklingServer


def test_429_then_200_honours_retry_after(http):
    with ScriptedServer([Reply(429, {"error": "slow down"}, headers={"Retry-After": "1"}),
                         Reply(200, {"ok": True})]) as srv:
        t0 = time.monotonic()
        f = http.get(srv.url + "/x")
        elapsed = time.monotonic() - t0
    assert f.json() == {"ok": True}
    assert len(srv.requests) == 2
    assert f.attempts == 2
    assert elapsed >= 0.9, "Retry-After: 1 must be waited for (backoff alone is ~0.01 s)"


def test_500_three_times_gives_up_with_clear_error(http):
    with ScriptedServer([Reply(500, "boom")]) as srv:
        with pytest.raises(RetryExhausted) as err:
            http.get(srv.url + "/data/kpi/N1/year/2020")
    assert len(srv.requests) == 3  # FAST.attempts
    msg = str(err.value)
    assert "/data/kpi/N1/year/2020" in msg and "HTTP 500" in msg and "3 attempt" in msg
    assert "retry the unit later" in msg
    assert err.value.status == 500


def test_timeout_is_retried_then_raises(http):
    policy = RetryPolicy(attempts=2, backoff_factor=0.01, connect_timeout=1, read_timeout=0.2)
    client = HttpClient(policy, limiter=RateLimiter())
    with ScriptedServer([Reply(200, {"late": True}, delay=0.6)]) as srv:
        with pytest.raises(RetryExhausted) as err:
            client.get(srv.url + "/slow")
    assert "timed out" in str(err.value) and "/slow" in str(err.value)
    assert len(srv.requests) == 2


def test_timeout_then_success(http):
    policy = RetryPolicy(attempts=3, backoff_factor=0.01, connect_timeout=1, read_timeout=0.3)
    client = HttpClient(policy, limiter=RateLimiter())
    with ScriptedServer([Reply(200, {"late": True}, delay=0.8), Reply(200, {"ok": 1})]) as srv:
        assert client.get(srv.url + "/x").json() == {"ok": 1}


def test_400_is_not_retried(http):
    with ScriptedServer([Reply(400, "Bad Request", content_type="text/plain")]) as srv:
        with pytest.raises(ClientError) as err:
            http.post_json(srv.url + "/tables/T/data", {"selection": []})
    assert len(srv.requests) == 1
    assert err.value.status == 400 and "not retried" in str(err.value)


@pytest.mark.parametrize("status", [401, 403, 404])
def test_other_4xx_not_retried(http, status):
    with ScriptedServer([Reply(status, "no")]) as srv:
        with pytest.raises(ClientError):
            http.get(srv.url + "/x")
    assert len(srv.requests) == 1


def test_connection_refused_gives_clear_error():
    client = HttpClient(RetryPolicy(attempts=2, backoff_factor=0.01, connect_timeout=0.5), limiter=RateLimiter())
    with ScriptedServer([Reply(200)]) as srv:
        url = srv.url
    with pytest.raises(RetryExhausted) as err:
        client.get(url + "/gone")
    assert "could not connect" in str(err.value) or "timed out" in str(err.value)
    assert "JAMSTAT_MODE=replay" in str(err.value)


def test_user_agent_and_accept_sent(http):
    seen = {}

    def handler(req):
        return Reply(200, {})

    with ScriptedServer(handler) as srv:
        session = make_session(FAST)
        r = session.get(srv.url + "/ua", timeout=2)
        seen["ua"] = r.request.headers["User-Agent"]
    assert seen["ua"] == USER_AGENT


def test_truncated_json_is_a_clear_payload_error(http):
    with ScriptedServer([Reply(200, b'{"values": [{"kpi": "N1", "per')]) as srv:
        f = http.get(srv.url + "/trunc")
    with pytest.raises(PayloadError) as err:
        f.json()
    assert "/trunc" in str(err.value) and "not valid JSON" in str(err.value)


def test_bom_is_tolerated():
    assert decode_json(b'\xef\xbb\xbf{"a": "\xc3\xa5"}') == {"a": "å"}


def test_rate_limiter_paces_per_host():
    lim = RateLimiter()
    lim.set_interval("a", 0.1)
    t0 = time.monotonic()
    for _ in range(4):
        lim.wait("a")
    assert time.monotonic() - t0 >= 0.29
    t1 = time.monotonic()
    lim.wait("b")  # other host not delayed
    assert time.monotonic() - t1 < 0.05


def test_rate_limiter_adapts_to_rate_limit_headers(http):
    lim = RateLimiter()
    client = HttpClient(FAST, limiter=lim)
    with ScriptedServer([Reply(200, {}, headers={"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "0.4"}),
                         Reply(200, {})]) as srv:
        client.get(srv.url + "/a")
        t0 = time.monotonic()
        client.get(srv.url + "/b")
        assert time.monotonic() - t0 >= 0.35


@pytest.mark.parametrize("trickle_headers", [False, True], ids=["body", "headers"])
def test_a_trickling_server_hits_the_overall_deadline(trickle_headers):
    """One byte every 0.5 s never trips the 2 s read timeout; the 3 s deadline for the whole request does."""
    policy = RetryPolicy(attempts=3, backoff_factor=0.01, connect_timeout=1, read_timeout=2, deadline=3)
    client = HttpClient(policy, limiter=RateLimiter())
    with TricklingServer(interval=0.5, trickle_headers=trickle_headers) as srv:
        t0 = time.monotonic()
        with pytest.raises(DeadlineExceeded) as err:
            client.get(srv.url + "/v3/kpi/N00945")
        elapsed = time.monotonic() - t0
    assert 2.9 <= elapsed < 5, elapsed
    assert "/v3/kpi/N00945" in str(err.value) and "3 s deadline" in str(err.value)
    assert "JAMSTAT_HTTP_DEADLINE_S" in str(err.value)
    assert srv.connections == 1, "no retry starts after the deadline"


def test_deadline_caps_retry_after_waits():
    """A Retry-After longer than what is left of the deadline is not slept through."""
    policy = RetryPolicy(attempts=5, backoff_factor=0.01, retry_after_max=60, deadline=1.5)
    client = HttpClient(policy, limiter=RateLimiter())
    with ScriptedServer([Reply(503, {"error": "busy"}, headers={"Retry-After": "30"})]) as srv:
        t0 = time.monotonic()
        with pytest.raises(RetryExhausted):
            client.get(srv.url + "/x")
    assert time.monotonic() - t0 < 5


def test_cli_ingest_against_a_trickling_source_fails_in_time(tmp_path):
    """Through the public path (`jamstat ingest`, as the DAG task runs it): the KPI fails with a clear error
    within the deadline instead of holding the task."""
    env = {**os.environ, "JAMSTAT_DATA_DIR": str(tmp_path / "data"), "JAMSTAT_WAREHOUSE_DIR": str(tmp_path / "wh"),
           "JAMSTAT_HTTP_DEADLINE_S": "2", "JAMSTAT_HTTP_ATTEMPTS": "2", "JAMSTAT_HTTP_BACKOFF": "0.01"}
    with TricklingServer(interval=0.5) as srv:
        env["JAMSTAT_REPLAY_URL"] = srv.url
        t0 = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "jamstat", "ingest", "kolada", "N21704", "--mode", "replay"],
                             env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert time.monotonic() - t0 < 60
    assert out.returncode == 1
    assert "N21704: FAILED DeadlineExceeded" in out.stderr and "2 s deadline" in out.stderr
    failure = json.loads((tmp_path / "data" / "state" / "failures" / "kolada" / "N21704.json").read_text())
    assert failure["error"].startswith("DeadlineExceeded: GET ")
