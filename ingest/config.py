"""Runtime configuration: one place, environment variables with the JAMSTAT_ prefix.

Nothing here does I/O at import; DAG files import this module freely.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

MODES = ("live", "replay", "auto")

LIVE_BASE_URLS = {
    "kolada": "https://api.kolada.se/v3",
    "scb_v2": "https://statistikdatabasen.scb.se/api/v2",
    "scb_v1": "https://api.scb.se/OV0104/v1/doris/sv/ssd",
}
# Under the replay server every source lives under its own prefix on one port.
REPLAY_PREFIXES = {"kolada": "/kolada/v3", "scb_v2": "/scb/v2", "scb_v1": "/scb/v1"}

USER_AGENT = "jamstat/0.1 (+https://github.com/jamstat; gender-equality statistics warehouse)"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with `Settings.from_env()`; cheap, call it inside tasks."""

    mode: str
    data_dir: Path
    warehouse_dir: Path
    replay_url: str | None
    catalog_path: Path
    dbt_project_dir: Path
    expectations_dir: Path
    postgres_url: str | None
    notify_webhook: str | None

    @classmethod
    def from_env(cls) -> Settings:
        mode = os.environ.get("JAMSTAT_MODE", "auto").lower()
        if mode not in MODES:
            raise ValueError(f"JAMSTAT_MODE={mode!r} is not one of {MODES}; set it to live, replay or auto.")
        return cls(
            mode=mode,
            data_dir=_env_path("JAMSTAT_DATA_DIR", REPO_ROOT / "data"),
            warehouse_dir=_env_path("JAMSTAT_WAREHOUSE_DIR", REPO_ROOT / "warehouse"),
            replay_url=os.environ.get("JAMSTAT_REPLAY_URL") or None,
            catalog_path=_env_path("JAMSTAT_CATALOG", REPO_ROOT / "dbt_project" / "seeds" / "indicator_catalog.csv"),
            dbt_project_dir=_env_path("JAMSTAT_DBT_PROJECT_DIR", REPO_ROOT / "dbt_project"),
            expectations_dir=_env_path("JAMSTAT_EXPECTATIONS_DIR", REPO_ROOT / "expectations"),
            postgres_url=os.environ.get("JAMSTAT_POSTGRES_URL") or None,
            notify_webhook=os.environ.get("JAMSTAT_NOTIFY_WEBHOOK") or None,
        )

    # --- the data layout (see README "Where things live") -------------------------------------
    @property
    def raw_dir(self) -> Path:
        """Immutable, content-addressed raw payloads: raw/<source>/<dataset>/<fetched_date>/<sha256>.<ext>"""
        return self.data_dir / "raw"

    @property
    def batches_dir(self) -> Path:
        """Normalised batches: batches/<source>/<batch_id>.parquet + <batch_id>.json (ingest log row)."""
        return self.data_dir / "batches"

    @property
    def state_dir(self) -> Path:
        """High-water marks and other small ingest state."""
        return self.data_dir / "state"

    @property
    def candidate_path(self) -> Path:
        """The pipeline's private working DuckDB file. Readers never open it."""
        return self.warehouse_dir / "work" / "candidate.duckdb"

    @property
    def published_path(self) -> Path:
        return self.warehouse_dir / "jamstat.duckdb"

    @property
    def exports_dir(self) -> Path:
        return self.warehouse_dir / "exports"

    @property
    def quarantine_dir(self) -> Path:
        return self.warehouse_dir / "quarantine"

    @property
    def reports_dir(self) -> Path:
        return self.warehouse_dir / "reports"


def base_urls(mode: str, replay_url: str | None = None) -> dict[str, str]:
    """Base URL per source for a resolved mode ('live' or 'replay'). Same client code either way."""
    if mode == "live":
        return {k: os.environ.get(f"JAMSTAT_{k.upper()}_URL", v) for k, v in LIVE_BASE_URLS.items()}
    if mode == "replay":
        if not replay_url:
            raise ValueError("replay mode needs the replay server's URL (JAMSTAT_REPLAY_URL or a started server)")
        return {k: replay_url.rstrip("/") + p for k, p in REPLAY_PREFIXES.items()}
    raise ValueError(f"mode must be resolved to 'live' or 'replay', got {mode!r}")


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
