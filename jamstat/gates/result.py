"""The one result type every gate returns: a `GateResult` holding `Check`s.

A gate succeeds only if it ran without error, evaluated at least one check, and every check succeeded (a
warning succeeds; a skipped check is recorded as skipped and does not count as run). Nothing is inferred
from "no exception": a gate that raises or cannot run returns success=False with the error captured."""
from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

MAX_EXAMPLES = 5

# status of one check
PASSED, FAILED, WARNED, SKIPPED, ERROR = "passed", "failed", "warned", "skipped", "error"
_EVALUATED = (PASSED, FAILED, WARNED)


# --------------------------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------------------------
@dataclass
class Check:
    """One evaluated (or explicitly skipped) check. `success` is True only for passed/warned/skipped."""

    check: str
    success: bool
    status: str = PASSED
    observed: Any = None
    expected: Any = None
    failing_rows: int | None = None
    examples: list = field(default_factory=list)
    dataset: str | None = None
    message: str | None = None
    batch_ids: list = field(default_factory=list)  # ingest batches whose rows fail the check (retractable)

    def __post_init__(self) -> None:
        self.examples = list(self.examples or [])[:MAX_EXAMPLES]


@dataclass
class GateResult:
    gate: str
    success: bool = False
    checks: list[Check] = field(default_factory=list)
    error: str | None = None
    duration_s: float = 0.0
    candidate_path: str | None = None
    candidate_sha256: str | None = None   # the exact file audited (candidate_reader.candidate_digest)
    started_at: str | None = None
    details: dict = field(default_factory=dict)

    # ---- counts
    @property
    def n_evaluated(self) -> int:
        return sum(1 for c in self.checks if c.status in _EVALUATED)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in (PASSED, FAILED, WARNED, SKIPPED, ERROR)}
        for c in self.checks:
            out[c.status] = out.get(c.status, 0) + 1
        out["evaluated"] = self.n_evaluated
        return out

    def add_error(self, text: str) -> None:
        self.error = text if not self.error else f"{self.error}\n{text}"

    def finalize(self, t0: float) -> GateResult:
        """Decide success explicitly: no error, >=1 evaluated check, every check successful."""
        self.duration_s = round(time.perf_counter() - t0, 3)
        if self.error is None and self.n_evaluated == 0:
            self.error = "no check was evaluated: a gate that checks nothing cannot pass"
        self.success = bool(self.error is None and self.n_evaluated > 0 and all(c.success for c in self.checks))
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["counts"] = self.counts()
        return jsonable(d)


def jsonable(obj: Any) -> Any:
    """Make numpy/pandas/datetime/Decimal values JSON-safe (NaN/inf become strings)."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else str(obj)
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    if isinstance(obj, timedelta):
        return str(obj)
    if isinstance(obj, Decimal):
        return jsonable(float(obj))
    if isinstance(obj, Path):
        return str(obj)
    item = getattr(obj, "item", None)  # numpy scalars
    if callable(item):
        try:
            return jsonable(item())
        except (TypeError, ValueError):
            pass
    if hasattr(obj, "isoformat"):  # pandas Timestamp
        return obj.isoformat()
    try:
        if obj != obj:  # NaN-like (pd.NA raises TypeError)
            return None
    except TypeError:
        return None
    return str(obj)


def as_dict(result: GateResult | Mapping) -> dict:
    if isinstance(result, GateResult):
        return result.to_dict()
    if isinstance(result, Mapping):
        return dict(result)
    if hasattr(result, "to_dict"):
        return result.to_dict()
    return asdict(result)


def as_utc(dt: datetime | None) -> datetime:
    if dt is None:
        return datetime.now(UTC)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
