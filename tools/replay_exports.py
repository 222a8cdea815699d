"""`make run` in replay mode: drop the real analyst exports replay carries (ingest/replay/landing/<bundle>/, the
ones exports.yaml places) into data/landing/, as an analyst would, so they go through the file drop."""
from __future__ import annotations

from pathlib import Path

from ingest.replay.exports import BUNDLES, bundled_exports


def drop_bundled_exports(landing: Path, root: Path = BUNDLES) -> list[str]:
    """Copy every placed export and its mapping into the landing folder (unchanged files are left alone);
    returns the names written."""
    landing.mkdir(parents=True, exist_ok=True)
    written = []
    for export in bundled_exports(root):
        if export.mapping is None:
            continue
        for name in (export.file, export.mapping):
            data = (root / export.bundle / name).read_bytes()
            target = landing / name
            if not target.exists() or target.read_bytes() != data:
                target.write_bytes(data)
                written.append(name)
    return written
