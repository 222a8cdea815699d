"""Maintainer tool: rewrite a Soda contract's `columns:` list from dbt's artifacts after a mart's columns change.

    .venv/bin/python -m tools.refresh_soda_contract expectations/soda/mart_gender_gap.yml \
        --catalog warehouse/work/dbt_target/catalog.json
"""
from __future__ import annotations

import json
import os
from pathlib import Path


def dbt_model_columns(model: str, *, catalog_path: str | os.PathLike | None = None,
                      manifest_path: str | os.PathLike | None = None) -> list[tuple[str, str | None]]:
    """(column, data_type) of a dbt model from target/catalog.json (actual types) or manifest.json (declared)."""
    if catalog_path:
        cat = json.loads(Path(catalog_path).read_text(encoding="utf-8"))
        for uid, node in cat.get("nodes", {}).items():
            if uid.startswith("model.") and uid.split(".")[-1] == model:
                cols = sorted(node["columns"].values(), key=lambda c: c.get("index", 0))
                return [(c["name"], (c.get("type") or "").lower() or None) for c in cols]
    if manifest_path:
        man = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
        for uid, node in man.get("nodes", {}).items():
            if uid.startswith("model.") and node.get("name") == model:
                return [(c["name"], (c.get("data_type") or "").lower() or None) for c in node["columns"].values()]
    raise KeyError(f"model {model!r} not found in {catalog_path or manifest_path}")


def refresh_contract_columns(contract_path: str | os.PathLike, columns: list[tuple[str, str | None]], *,
                             write: bool = True) -> str:
    """Rewrite the `columns:` list of a Soda contract to `columns` (dbt order), keeping each surviving column's
    checks and comments; data_type is refreshed only where the contract already declares one. Returns the text."""
    import io

    from ruamel.yaml import YAML

    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    p = Path(contract_path)
    doc = y.load(p.read_text(encoding="utf-8"))
    old = {c["name"]: c for c in doc.get("columns") or []}
    typed = any("data_type" in c for c in old.values())
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    new = CommentedSeq()
    for name, dtype in columns:
        entry = old.get(name) or CommentedMap([("name", name)])
        if typed and dtype:
            entry["data_type"] = dtype
        new.append(entry)
    doc["columns"] = new
    buf = io.StringIO()
    y.dump(doc, buf)
    text = buf.getvalue()
    if write:
        p.write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m tools.refresh_soda_contract")
    ap.add_argument("contract")
    ap.add_argument("--catalog")
    ap.add_argument("--manifest")
    ap.add_argument("--model")
    args = ap.parse_args(argv)
    model = args.model or Path(args.contract).stem
    cols = dbt_model_columns(model, catalog_path=args.catalog, manifest_path=args.manifest)
    refresh_contract_columns(args.contract, cols)
    print(f"{args.contract}: {len(cols)} columns from {args.catalog or args.manifest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
