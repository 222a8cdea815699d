"""Static guard (no engine, fast, runs in `make test`): the project's SQL stays portable across duckdb, postgres and
spark. Engine-specific spellings belong in a jamstat_utils dispatch, not in models, root macros or singular tests."""
from __future__ import annotations

import re

import pytest

from tests.portability.conftest import PROJECT_DIR

# pattern -> why it is not portable (and what to use instead); `dbt.x(` / `jamstat_utils.x(` calls are fine
NOT_PORTABLE = {
    r"::": "`::` casts are DuckDB/Postgres only: use cast(x as {{ dbt.type_*() }})",
    r"\bas\s+(double|float|float8|real|varchar|text|string|int|integer|bigint|boolean|timestamp)\b\s*\)":
        "hard-coded cast type: use {{ dbt.type_string()/type_int()/... }} or {{ jamstat_utils.type_double() }}",
    r"(?<![\w.])(string_agg|group_concat|array_agg|list_agg|listagg)\s*\(": "use {{ dbt.listagg(...) }}",
    r"(?<![\w.])(bool_and|bool_or|every)\s*\(": "use min/max over a case expression or {{ dbt.bool_or() }}",
    r"(?<![\w.])(list_\w+|struct_pack|read_parquet|read_csv\w*|strftime|strptime|epoch_ms|regexp_matches|json_extract\w*)\s*\(":
        "DuckDB-only function",
    r"(?<![\w.])try_cast\s*\(": "not on Postgres: use {{ dbt.safe_cast() }}",
    r"\bqualify\b": "QUALIFY is not on Postgres: filter a row_number() in an outer select",
    r"\bgroup\s+by\s+all\b": "GROUP BY ALL is not on Postgres",
    r"\bexclude\s*\(": "SELECT * EXCLUDE is DuckDB/Spark only: list the columns",
    r"\bilike\b": "ILIKE is not on Spark: lower(x) like ...",
    r"->>?": "JSON arrows are DuckDB/Postgres only",
    r"(?<![\w.])(date_trunc|date_diff|datediff)\s*\(": "use {{ dbt.date_trunc() }} / {{ dbt.datediff() }}",
}
SQL_DIRS = ["models", "macros", "tests", "analyses"]


def _sql_files():
    for d in SQL_DIRS:
        yield from sorted((PROJECT_DIR / d).rglob("*.sql"))


def _strip_comments(text: str) -> str:
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)
    return re.sub(r"--[^\n]*", "", text)


def test_there_is_sql_to_check():
    assert len(list(_sql_files())) > 30


@pytest.mark.parametrize("path", list(_sql_files()), ids=lambda p: str(p.relative_to(PROJECT_DIR)))
def test_sql_is_portable(path):
    text = _strip_comments(path.read_text(encoding="utf-8"))
    problems = [f"{m.group(0)!r}: {why}" for pat, why in NOT_PORTABLE.items()
                for m in re.finditer(pat, text, flags=re.I)]
    assert not problems, f"{path.relative_to(PROJECT_DIR)}: " + "; ".join(problems)
