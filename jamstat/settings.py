"""Runtime settings: one place, environment variables with the JAMSTAT_ prefix (every one is listed in
`.env.example`). Nothing here does I/O at import; DAG files import this module freely."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

MODES = ("live", "replay", "auto")


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def _env_positive_int(name: str, default: int, meaning: str) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r} must be a whole number >= 1 ({meaning})")
    return int(value)


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
    report_county: str = "01"
    file_drop_max_bytes: int = 64 * 1024 * 1024
    keep_publications: int = 3      # publication directories kept (readers may still hold an older one open)
    keep_quarantined: int = 5       # failed candidates kept for inspection (each is a full DuckDB file)
    bind_host: str = "127.0.0.1"    # the address every server jamstat starts listens on

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
            report_county=os.environ.get("JAMSTAT_REPORT_COUNTY") or "01",
            file_drop_max_bytes=_env_positive_int("JAMSTAT_FILE_DROP_MAX_BYTES", 64 * 1024 * 1024, "bytes"),
            keep_publications=_env_positive_int("JAMSTAT_KEEP_PUBLICATIONS", 3, "how many to keep"),
            keep_quarantined=_env_positive_int("JAMSTAT_KEEP_QUARANTINED", 5, "how many to keep"),
            bind_host=os.environ.get("JAMSTAT_BIND") or "127.0.0.1",
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
    def work_dir(self) -> Path:
        """The pipeline's private working area: the candidate, gate results per run, the run lock."""
        return self.warehouse_dir / "work"

    @property
    def candidate_path(self) -> Path:
        """The pipeline's private working DuckDB file, built by the run holding the run lock and bound to
        its audit by content hash. Readers never open it."""
        return self.work_dir / "candidate.duckdb"

    @property
    def publications_dir(self) -> Path:
        """One directory per publication: <id>/jamstat.duckdb and <id>/exports/*.parquet, written before use."""
        return self.warehouse_dir / "publications"

    @property
    def current_link(self) -> Path:
        """Symlink to the current publication directory; replacing it switches database and exports at once."""
        return self.warehouse_dir / "current"

    @property
    def published_path(self) -> Path:
        """What readers open (read-only): a stable symlink through `current` to the published DuckDB file."""
        return self.warehouse_dir / "jamstat.duckdb"

    @property
    def exports_dir(self) -> Path:
        """exports/current is a stable symlink through `current` to the publication's Parquet files."""
        return self.warehouse_dir / "exports"

    @property
    def quarantine_dir(self) -> Path:
        return self.warehouse_dir / "quarantine"

    @property
    def reports_dir(self) -> Path:
        return self.warehouse_dir / "reports"

    @property
    def report_dir(self) -> Path:
        """The follow-up web report: report/<run_id>/ per publication, report/current re-pointed atomically."""
        return self.warehouse_dir / "report"


def safe_run_id(run_id: str) -> str:
    """Airflow run ids hold ':' and '+'; keep them readable but filesystem-safe."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id).strip("_") or "run"
