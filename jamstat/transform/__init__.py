"""Stage 2, transform: the candidate DuckDB file is loaded with every committed raw batch, then `dbt build`
(dbt_project/: staging → intermediate → marts, with dbt's tests) runs into it."""
