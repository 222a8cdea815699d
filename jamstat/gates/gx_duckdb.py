"""The SQLAlchemy dialect through which Great Expectations' SQL execution engine reads the candidate DuckDB file.

It is duckdb-engine's dialect with three differences, each kept honest by tests/quality/test_gx_sql.py:
- it opens the file the way the gates do (candidate_reader.connect_read_only): read-only, and with the same
  configuration, so GX and the gate's own connection share one DuckDB instance (DuckDB refuses a second
  configuration of an open file in one process).
- every statement runs on a DuckDB cursor of its own. duckdb-engine's cursor is the connection itself, so the
  rollback when SQLAlchemy hands a connection back empties a pending result, and GX fetches its metric rows just
  after closing the connection (SqlAlchemyExecutionEngine.execute_query). A cursor's result survives that, and it
  stays a lazy stream: GX also executes a suite's whole query only to read its column names.
- GX builds regex conditions only for dialects it recognises by marker attributes; the Dremio marker makes it emit
  REGEXP_MATCHES(column, regex), DuckDB's partial-match function, the semantics of GX's pandas engine
  (str.contains). DuckDB's own `~` is a full match and would change what `^[0-9]{4}` means.
"""
from __future__ import annotations

import os
from pathlib import Path

from duckdb_engine import ConnectionWrapper, CursorWrapper
from duckdb_engine import Dialect as DuckDBDialect
from sqlalchemy.dialects import registry

from jamstat.gates.candidate_reader import connect_read_only

DRIVER = "jamstat_read_only"


class _Cursor(CursorWrapper):
    def __init__(self, duckdb_cursor, connection: _Connection) -> None:
        super().__init__(duckdb_cursor, connection)
        self._duckdb_cursor = duckdb_cursor

    def close(self) -> None:
        self._duckdb_cursor.close()


class _Connection(ConnectionWrapper):
    def __init__(self, duckdb_connection) -> None:
        super().__init__(duckdb_connection)
        self._duckdb_connection = duckdb_connection

    def cursor(self) -> _Cursor:
        return _Cursor(self._duckdb_connection.cursor(), self)


class ReadOnlyDuckDBDialect(DuckDBDialect):
    driver = DRIVER
    supports_statement_cache = False
    DremioDialect = True  # read by GX's get_dialect_regex_expression (see the module docstring)

    def connect(self, *_args, **cparams):
        return _Connection(connect_read_only(cparams["database"]))


registry.register(f"duckdb.{DRIVER}", __name__, ReadOnlyDuckDBDialect.__name__)


def connection_string(path: str | os.PathLike) -> str:
    """The SQLAlchemy URL that opens a DuckDB file read-only through this dialect."""
    return f"duckdb+{DRIVER}:///{Path(path).resolve().as_posix()}"
