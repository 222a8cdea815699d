"""Source modes: `live` (the real APIs), `replay` (the recorded payloads served by ingest/replay on 127.0.0.1)
or `auto` (live when the hosts answer, else replay). The same client code runs in every mode; only the base
URLs differ."""
from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ingest.http import USER_AGENT
from jamstat.settings import Settings

log = logging.getLogger("jamstat.modes")

LIVE_BASE_URLS = {
    "kolada": "https://api.kolada.se/v3",
    "scb_v2": "https://statistikdatabasen.scb.se/api/v2",
    "scb_v1": "https://api.scb.se/OV0104/v1/doris/sv/ssd",
}
# Under the replay server every source lives under its own prefix on one port.
REPLAY_PREFIXES = {"kolada": "/kolada/v3", "scb_v2": "/scb/v2", "scb_v1": "/scb/v1"}


def base_urls(mode: str, replay_url: str | None = None) -> dict[str, str]:
    """Base URL per source for a resolved mode ('live' or 'replay'). Same client code either way."""
    if mode == "live":
        return {k: os.environ.get(f"JAMSTAT_{k.upper()}_URL", v) for k, v in LIVE_BASE_URLS.items()}
    if mode == "replay":
        if not replay_url:
            raise ValueError("replay mode needs the replay server's URL (JAMSTAT_REPLAY_URL or a started server)")
        return {k: replay_url.rstrip("/") + p for k, p in REPLAY_PREFIXES.items()}
    raise ValueError(f"mode must be resolved to 'live' or 'replay', got {mode!r}")


def resolve_mode(settings: Settings, timeout: float = 3.0) -> str:
    """'live' or 'replay'. `auto` probes the live API hosts (one short GET each); all reachable → live."""
    if settings.mode in ("live", "replay"):
        return settings.mode
    import requests

    live = base_urls("live")  # the JAMSTAT_*_URL overrides too: probe the hosts a live run would use
    probes = [live["kolada"] + "/municipality?per_page=1", live["scb_v2"] + "/config"]
    for url in probes:
        try:
            resp = requests.get(url, timeout=timeout, headers={"User-Agent": USER_AGENT})
            if resp.status_code >= 500:
                log.warning("auto mode: %s answered %s → replay", url, resp.status_code)
                return "replay"
        except requests.RequestException as exc:
            log.warning("auto mode: %s unreachable (%s) → replay", url, type(exc).__name__)
            return "replay"
    return "live"


@contextmanager
def source_base_urls(mode: str, settings: Settings | None = None) -> Iterator[dict[str, str]]:
    """Base URLs for a resolved mode. In replay mode without JAMSTAT_REPLAY_URL, a replay server is started on
    127.0.0.1 for the duration of the block (real HTTP, ephemeral port) and stopped after it."""
    settings = settings or Settings.from_env()
    if mode == "live":
        yield base_urls("live")
    elif settings.replay_url:
        yield base_urls("replay", settings.replay_url)
    else:
        from ingest.replay.server import replay_server

        with replay_server() as url:
            yield base_urls("replay", url)
