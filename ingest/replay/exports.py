"""Real analyst exports bundled for replay (`ingest/replay/landing/<bundle>/`: the files with their provenance, a
mapping per export the catalog places, and `exports.yaml` saying which are placed and why the others are not).

Replay `make run` drops the placed exports and their mappings into data/landing/ (tools/replay_exports.py), as an
analyst would, so they go through the file drop like any other file; `jamstat coverage` reads the same index."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

BUNDLES = Path(__file__).resolve().parent / "landing"


@dataclass(frozen=True)
class BundledExport:
    bundle: str
    file: str
    mapping: str | None      # the mapping file's name, None when the catalog does not place the export
    reason: str = ""         # why it is not placed


def bundled_exports(root: Path = BUNDLES) -> list[BundledExport]:
    out = []
    for index in sorted(root.glob("*/exports.yaml")):
        doc = yaml.safe_load(index.read_text("utf-8")) or {}
        bundle = index.parent.name
        out += [BundledExport(bundle, f, m) for f, m in (doc.get("placed") or {}).items()]
        out += [BundledExport(bundle, f, None, r) for f, r in (doc.get("not_placed") or {}).items()]
    return out
