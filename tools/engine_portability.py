"""Copy the raw tables of a candidate DuckDB into another dbt target (PostgreSQL or Spark), so the same dbt
project builds there: the portability check of "Serving and scale-out" item 4.

On DuckDB the candidate file already holds raw.observations / raw.batches / raw.source_checks (jamstat/transform/candidate.py).
On another engine those tables have to be loaded first; this module does only that, nothing else:

    export_raw(candidate, out_dir)        DuckDB -> one Parquet file per raw table (+ schema.json)     [.venv]
    load_postgres(candidate, url)         DuckDB -> PostgreSQL schema raw, psycopg COPY                [.venv]
    load_spark(parquet_dir, spark_dir)    Parquet -> Spark tables raw.<table> via saveAsTable           [.venv-spark]

Column types are mapped from DuckDB's (VARCHAR/DOUBLE/BOOLEAN/TIMESTAMP/BIGINT/INTEGER) to the target's.

CLI (the Spark half runs in .venv-spark, which has pyspark but not duckdb):
    .venv/bin/python -m tools.engine_portability export --candidate c.duckdb --out /tmp/raw
    .venv/bin/python -m tools.engine_portability postgres --candidate c.duckdb --url postgresql://...
    JAMSTAT_SPARK_DIR=/tmp/spark .venv-spark/bin/python -m tools.engine_portability spark --parquet-dir /tmp/raw
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

RAW_SCHEMA = "raw"

# DuckDB type -> PostgreSQL / Spark SQL type. Anything else is an error (a new raw type must be mapped on purpose).
PG_TYPES = {"VARCHAR": "text", "DOUBLE": "double precision", "BOOLEAN": "boolean", "TIMESTAMP": "timestamp",
            "BIGINT": "bigint", "INTEGER": "integer", "DATE": "date"}
SPARK_TYPES = {"VARCHAR": "string", "DOUBLE": "double", "BOOLEAN": "boolean", "TIMESTAMP": "timestamp",
               "BIGINT": "bigint", "INTEGER": "int", "DATE": "date"}


def raw_tables(candidate: Path) -> dict[str, list[tuple[str, str]]]:
    """{table: [(column, duckdb_type), ...]} for every table in the candidate's raw schema, in column order."""
    import duckdb

    with duckdb.connect(str(candidate), read_only=True) as con:
        rows = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = ? order by table_name, ordinal_position", [RAW_SCHEMA]).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        tables.setdefault(table, []).append((column, dtype))
    return tables


def _mapped(dtype: str, mapping: dict[str, str]) -> str:
    try:
        return mapping[dtype.upper()]
    except KeyError:
        raise ValueError(f"raw column type {dtype!r} has no mapping; add it to tools/engine_portability.py") from None


def export_raw(candidate: Path, out_dir: Path) -> dict[str, int]:
    """One Parquet file per raw table plus schema.json ({table: [[column, duckdb_type], ...]}); row counts."""
    import duckdb

    out_dir.mkdir(parents=True, exist_ok=True)
    tables = raw_tables(candidate)
    counts = {}
    with duckdb.connect(str(candidate), read_only=True) as con:
        for table in tables:
            target = out_dir / f"{table}.parquet"
            con.execute(f"copy {RAW_SCHEMA}.{table} to '{target}' (format parquet)")
            counts[table] = con.execute(f"select count(*) from {RAW_SCHEMA}.{table}").fetchone()[0]
    (out_dir / "schema.json").write_text(json.dumps({t: [list(c) for c in cols] for t, cols in tables.items()}))
    return counts


def load_postgres(candidate: Path, url: str, *, chunk_bytes: int = 1 << 20) -> dict[str, int]:
    """(Re)create schema raw in the database at `url` and COPY every raw table into it.

    DuckDB writes each table as CSV (NULL = unquoted empty field, '' = quoted ""), which is exactly what
    PostgreSQL's `copy ... (format csv)` reads back, so NULLs and empty strings survive; doubles are written
    in shortest round-trip form, so values compare equal after the trip."""
    import tempfile

    import duckdb
    import psycopg
    from psycopg import sql

    tables = raw_tables(candidate)
    counts = {}
    with tempfile.TemporaryDirectory(prefix="jamstat-raw-csv-") as tmp, \
            duckdb.connect(str(candidate), read_only=True) as src, psycopg.connect(url) as con:
        con.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(RAW_SCHEMA)))
        con.execute(sql.SQL("create schema {}").format(sql.Identifier(RAW_SCHEMA)))
        for table, cols in tables.items():
            ident = sql.Identifier(RAW_SCHEMA, table)
            columns = sql.SQL(", ").join(sql.Identifier(c) for c, _ in cols)
            ddl = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_mapped(t, PG_TYPES)))
                                     for c, t in cols)
            con.execute(sql.SQL("create table {} ({})").format(ident, ddl))
            csv_path = Path(tmp) / f"{table}.csv"
            src.execute(f"copy {RAW_SCHEMA}.{table} to '{csv_path}' (format csv, header false, "
                        "timestampformat '%Y-%m-%d %H:%M:%S.%f')")
            with con.cursor() as cur, cur.copy(
                    sql.SQL("copy {} ({}) from stdin (format csv)").format(ident, columns)) as copy, \
                    csv_path.open("rb") as fh:
                while chunk := fh.read(chunk_bytes):
                    copy.write(chunk)
            con.execute(sql.SQL("analyze {}").format(ident))
            counts[table] = con.execute(sql.SQL("select count(*) from {}").format(ident)).fetchone()[0]
    return counts


def spark_session(spark_dir: Path, *, app_name: str = "jamstat"):
    """A local SparkSession with Hive support whose warehouse (<spark_dir>/spark-warehouse) and Derby metastore
    (<spark_dir>/metastore_db, derby.log) live in spark_dir, never in the cwd. These are the settings of
    dbt_project/profiles.yml target `spark` (JAMSTAT_SPARK_DIR), so dbt sees the tables loaded here."""
    from pyspark.sql import SparkSession

    spark_dir = Path(spark_dir).resolve()
    spark_dir.mkdir(parents=True, exist_ok=True)
    builder = (SparkSession.builder.appName(app_name).enableHiveSupport()
               .config("spark.master", os.environ.get("JAMSTAT_SPARK_MASTER", "local[2]"))
               .config("spark.sql.warehouse.dir", str(spark_dir / "spark-warehouse"))
               .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                       f"jdbc:derby:;databaseName={spark_dir / 'metastore_db'};create=true")
               .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={spark_dir}")
               .config("spark.driver.memory", os.environ.get("JAMSTAT_SPARK_DRIVER_MEMORY", "2g"))
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.session.timeZone", "UTC"))
    return builder.getOrCreate()


def load_spark(parquet_dir: Path, spark_dir: Path) -> dict[str, int]:
    """Create database raw and one managed table per exported Parquet file (saveAsTable), with the mapped types."""
    schema = json.loads((parquet_dir / "schema.json").read_text())
    spark = spark_session(spark_dir, app_name="jamstat-load-raw")
    counts = {}
    try:
        spark.sql(f"create database if not exists {RAW_SCHEMA}")
        for table, cols in schema.items():
            df = spark.read.parquet(str(parquet_dir / f"{table}.parquet"))
            df = df.select(*[df[c].cast(_mapped(t, SPARK_TYPES)).alias(c) for c, t in cols])
            df.write.mode("overwrite").format("parquet").saveAsTable(f"{RAW_SCHEMA}.{table}")
            counts[table] = spark.table(f"{RAW_SCHEMA}.{table}").count()
    finally:
        spark.stop()
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="raw tables -> Parquet + schema.json")
    e.add_argument("--candidate", type=Path, required=True)
    e.add_argument("--out", type=Path, required=True)
    g = sub.add_parser("postgres", help="raw tables -> PostgreSQL schema raw (psycopg COPY)")
    g.add_argument("--candidate", type=Path, required=True)
    g.add_argument("--url", default=os.environ.get("JAMSTAT_PG_URL"), help="default: $JAMSTAT_PG_URL")
    s = sub.add_parser("spark", help="Parquet export -> Spark database raw (run with .venv-spark/bin/python)")
    s.add_argument("--parquet-dir", type=Path, required=True)
    s.add_argument("--spark-dir", type=Path, default=os.environ.get("JAMSTAT_SPARK_DIR"),
                   help="holds spark-warehouse/ and metastore_db/ (default: $JAMSTAT_SPARK_DIR)")
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    if a.cmd == "export":
        counts = export_raw(a.candidate, a.out)
    elif a.cmd == "postgres":
        if not a.url:
            p.error("--url or $JAMSTAT_PG_URL is required")
        counts = load_postgres(a.candidate, a.url)
    else:
        if not a.spark_dir:
            p.error("--spark-dir or $JAMSTAT_SPARK_DIR is required")
        counts = load_spark(a.parquet_dir, a.spark_dir)
    print(json.dumps({"cmd": a.cmd, "rows": counts, "seconds": round(time.perf_counter() - t0, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
