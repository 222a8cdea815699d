"""jamstat's Python package: sources, raw landing, replay server, warehouse steps and CLI.

The design card fixes the top-level name `ingest/`; besides the source clients it holds the
warehouse steps (dbt build into a candidate, quality gates, atomic publish) that the DAGs wire.
"""
