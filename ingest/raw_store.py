"""The raw layer: every response body stored once, immutable and content-addressed, with its provenance.

`data/raw/<source>/<dataset>/<YYYY-MM-DD>/<sha256>.<ext>` — written once (tmp file + os.replace), never
rewritten; the same content is never stored twice."""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.http import Fetched

_SAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def safe_name(text: str) -> str:
    """A path-safe version of a dataset name (keeps letters, digits, . _ + -)."""
    return _SAFE.sub("_", text).strip("_") or "unnamed"


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def iso_utc(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def land_raw(raw_dir: Path, source: str, dataset: str, body: bytes, fetched_at: datetime,
             ext: str = "json") -> tuple[str, Path]:
    """Store a response body once; returns (sha256, path). An existing file is never rewritten."""
    digest = sha256_bytes(body)
    day = fetched_at.astimezone(UTC).strftime("%Y-%m-%d")
    path = raw_dir / safe_name(source) / safe_name(dataset) / day / f"{digest}.{ext}"
    if not path.exists():
        atomic_write(path, body)
    return digest, path


def response_record(fetched: Fetched, sha: str, path: Path, root: Path | None = None) -> dict[str, Any]:
    rel = str(path.relative_to(root)) if root is not None and path.is_relative_to(root) else str(path)
    return {
        "url": fetched.url,
        "method": fetched.method,
        "request_body": fetched.request_body,
        "status": fetched.status,
        "sha256": sha,
        "path": rel,
        "content_type": fetched.content_type,
        "fetched_at": iso_utc(fetched.fetched_at),
    }
