"""One unit of file-drop ingest: one mapping file in `data/landing/` and the export it names, landed as raw
payloads and one batch (source = 'file'). The ingest_files DAG maps one task over each mapping file."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.batches import Unit
from ingest.catalog import find_indicator, load_catalog
from ingest.http import Fetched
from ingest.raw_store import safe_name
from ingest.sources.files import FileDropError, load_mapping, normalize, read_table
from jamstat.settings import Settings


def landing_dir(settings: Settings) -> Path:
    return settings.data_dir / "landing"


def plan_file_drops(settings: Settings) -> list[str]:
    """The mapping files waiting in data/landing/."""
    folder = landing_dir(settings)
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml", ".json") and p.is_file())


def _as_fetched(path: Path, data: bytes, content_type: str) -> Fetched:
    return Fetched(url=path.resolve().as_uri(), method="FILE", request_body=None, status=200, body=data,
                   content_type=content_type, fetched_at=datetime.now(UTC))


def ingest_file_drop(unit: str, *, mode: str = "file", base_urls: dict[str, str] | None = None, run_id: str,
                     settings: Settings) -> dict[str, Any]:
    mapping_path = Path(unit)
    if not mapping_path.is_absolute():
        mapping_path = landing_dir(settings) / unit
    if not mapping_path.exists():
        raise FileDropError(f"file drop {mapping_path.name}: mapping not found at {mapping_path}")
    mapping = load_mapping(mapping_path)
    data_path = (mapping_path.parent / mapping["file"]).resolve()
    if not data_path.exists():
        raise FileDropError(f"file drop {mapping_path.name}: data file {data_path} not found")
    source_ref = mapping.get("source_ref")
    indicator_id = mapping.get("indicator_id")
    if not source_ref:
        if not indicator_id:
            raise FileDropError(f"{mapping_path.name}: give indicator_id (catalog) or source_ref")
        # the rows carry the catalog row they feed: a Kolada KPI id here would pass them off as Kolada's series
        source_ref = find_indicator(load_catalog(settings.catalog_path), indicator_id).indicator_id
    dataset = safe_name(mapping.get("dataset") or mapping_path.stem)
    batch = Unit.for_settings(settings, "file", f"file:{mapping_path.name}", mode, run_id)
    data = data_path.read_bytes()
    ext = data_path.suffix.lstrip(".").lower() or "bin"
    ctype = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}.get(ext, "application/octet-stream")
    batch.land(_as_fetched(data_path, data, ctype), dataset, ext=ext)
    batch.land(_as_fetched(mapping_path, mapping_path.read_bytes(), "text/yaml"), dataset,
              ext=mapping_path.suffix.lstrip(".") or "yaml")
    try:
        frame = normalize(read_table(data, mapping, data_path.name), mapping, source_ref, data_path.name)
    except FileDropError as exc:
        raise FileDropError(f"file drop {mapping_path.name}: {exc}") from exc
    if indicator_id:
        batch.note(f"indicator_id={indicator_id}")
    res = batch.commit(frame, source_refs=[source_ref])
    return {"unit": mapping_path.name, "source": "file", "source_ref": source_ref, "mode": mode,
            "run_id": run_id, **res.summary()}
