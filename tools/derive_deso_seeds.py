"""Derive the DeSO/RegSO dbt seeds from SCB's code lists (dbt_project/seeds/reference/scb_deso/*.json).

The JSON files are SCB's own key files (DeSO → RegSO for each version, RegSO names, and the DeSO change log)
as published on scb.se, kept unchanged with their provenance. The seeds carry the codes exactly as
Statistikdatabasen writes them in a table's Region variable: DeSO 2018 and RegSO 2020 bare ('0180C1010',
'0180R001'), DeSO 2025 and RegSO 2025 with their version suffix ('0180C1010_DeSO2025', '0180R001_RegSO2025'),
so both versions live side by side and an observation's code says which one it is.

    python -m tools.derive_deso_seeds          # rewrite the seeds
    python -m tools.derive_deso_seeds --check  # exit 1 when the committed seeds differ from the derivation
"""
from __future__ import annotations

import csv
import io
import json
import re
import sys

from jamstat.settings import REPO_ROOT

REFERENCE = REPO_ROOT / "dbt_project" / "seeds" / "reference"
SOURCES = REFERENCE / "scb_deso"
# (code-list file, DeSO version, RegSO version, suffix SCB appends to the version's codes in Statistikdatabasen,
#  first and last reference year SCB publishes on the version: it does not recompute older years on a new one)
VERSIONS = [("deso_regso_2018.json", "DeSO 2018", "RegSO 2020", "", "", "2023"),
            ("deso_regso_2025.json", "DeSO 2025", "RegSO 2025", "2025", "2024", "")]
DESO = re.compile(r"^\d{4}[ABC]\d{4}$")
REGSO = re.compile(r"^\d{4}R\d{3}$")


def _suffixed(code: str, kind: str, year: str) -> str:
    return f"{code}_{kind}{year}" if year else code


def derive() -> dict[str, str]:
    """Seed file name -> CSV text."""
    deso_rows, regso_rows = [], []
    for name, deso_version, regso_version, year, first_year, last_year in VERSIONS:
        doc = json.loads((SOURCES / name).read_text(encoding="utf-8"))
        if doc["version"] != {"deso": deso_version, "regso": regso_version}:
            raise ValueError(f"{name}: versions {doc['version']} are not {deso_version} / {regso_version}")
        for deso, regso in sorted(doc["deso"].items()):
            if not DESO.match(deso) or not REGSO.match(regso) or deso[:4] != regso[:4]:
                raise ValueError(f"{name}: DeSO {deso} -> RegSO {regso} is not a valid pair in one municipality")
            deso_rows.append([_suffixed(deso, "DeSO", year), deso, deso_version, _suffixed(regso, "RegSO", year),
                              deso[:4], first_year, last_year])
        for regso, regso_name in sorted(doc["regso"].items()):
            if not REGSO.match(regso):
                raise ValueError(f"{name}: {regso} is not a RegSO code")
            regso_rows.append([_suffixed(regso, "RegSO", year), regso, regso_version, regso_name, regso[:4],
                               first_year, last_year])
        for key, rows in (("deso", doc["deso"]), ("regso", doc["regso"])):
            if doc["antal"][key] != len(rows):
                raise ValueError(f"{name}: {len(rows)} {key} codes, the file says {doc['antal'][key]}")
    changes = json.loads((SOURCES / "deso_forandringar.json").read_text(encoding="utf-8"))
    change_rows = [list(r) for r in changes["forandringar"]]
    if changes["antal"]["rader"] != len(change_rows):
        raise ValueError(f"deso_forandringar.json: {len(change_rows)} rows, the file says {changes['antal']['rader']}")
    return {
        "scb_deso.csv": _csv(["deso_code", "deso_plain_code", "deso_version", "regso_code", "municipality_code",
                              "first_year", "last_year"], deso_rows),
        "scb_regso.csv": _csv(["regso_code", "regso_plain_code", "regso_version", "regso_name", "municipality_code",
                               "first_year", "last_year"], regso_rows),
        "scb_deso_changes.csv": _csv(["from_code", "to_code", "change_type", "change_date"], change_rows),
    }


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def main(argv: list[str]) -> int:
    stale = []
    for name, text in derive().items():
        path = REFERENCE / name
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(REPO_ROOT)} ({text.count(chr(10)) - 1} rows)")
    if stale:
        print(f"stale seeds {stale}: run python -m tools.derive_deso_seeds", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
