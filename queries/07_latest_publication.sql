-- 07  Senaste publiceringen: när, vilken körning, vilka kvalitetsgrindar som passerades, källäge
--     The latest publication: when, which run, which quality gates passed, source mode(s)
--
-- Goal:      none (provenance). Cite run_id and published_at next to any figure you take from the warehouse.
-- Source:    marts.publications (one row per publication, appended by the pipeline's publish step)
--
-- One row per gate of the latest publication (dbt, freshness, great_expectations, soda); the publication's
-- own columns repeat on each row.
--
-- Columns
--   run_id                  Airflow run id of transform_publish (e.g. manual__2026-...)
--   published_at            when the warehouse file was swapped in (UTC)
--   git_commit              commit of the pipeline code that built it
--   source_modes            JSON array of the source modes of the batches: ["live"], ["replay"] or both.
--                           "replay" means recorded API payloads (ingest/replay/recordings), not today's data
--   storage_version         DuckDB storage version of the file
--   n_publications          publications so far (this is number n_publications)
--   identical_to_previous   true when every mart equals the previous publication's (a re-run on unchanged
--                           data); null for the first publication
--   gate, gate_passed       a gate and whether it passed (a published warehouse has passed all of them)
--   gate_verdict            PASS | WARN (passed, with warned checks; see the run's quality report) | FAIL
--   gate_checks             number of checks the gate ran
--   gate_failed             JSON array of failed checks ([] when none)
--   row_counts              JSON object: rows per mart in this publication
--
-- Caveats
--   * gate_results, source_modes and row_counts are JSON stored as text. This query reads them with
--     cast(... as json), ->, ->> and json_array_length, which DuckDB (json extension, built in) and PostgreSQL
--     both support with the same meaning; generate_series(0, 49) caps the number of gates read at 50.
--     A BI tool without JSON support can select the raw gate_results column instead.
--   * Replay data: 1 publication, source_modes ["replay"], 4 gates all passed (dbt, freshness,
--     great_expectations, soda).
--
-- Portable SQL (DuckDB and PostgreSQL). Run: .venv/bin/duckdb -readonly warehouse/jamstat.duckdb < queries/07_latest_publication.sql
with latest as (
    select
        p.*,
        cast(p.gate_results as json) as gates,
        (select count(*) from marts.publications) as n_publications
    from marts.publications as p
    where p.published_at = (select max(published_at) from marts.publications)
)
select
    l.run_id,
    l.published_at,
    l.git_commit,
    l.source_modes,
    l.storage_version,
    l.n_publications,
    l.identical_to_previous,
    g.i + 1                                                  as gate_number,
    (l.gates -> g.i) ->> 'gate'                              as gate,
    ((l.gates -> g.i) ->> 'success') = 'true'                as gate_passed,
    (l.gates -> g.i) ->> 'verdict'                           as gate_verdict,
    cast((l.gates -> g.i) ->> 'checks' as integer)           as gate_checks,
    cast((l.gates -> g.i) -> 'failed' as varchar)            as gate_failed,
    l.row_counts
from latest as l
cross join generate_series(0, 49) as g(i)
where g.i < json_array_length(l.gates)
order by g.i;
