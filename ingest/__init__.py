"""Stage 1, ingest: public statistics fetched from their sources and landed as immutable raw payloads and
normalised batches under data/. Nothing here builds, audits or publishes the warehouse.

    registry.py     the sources (kolada, scb, files): schedule, pool, plan and ingest functions — declared once
    run_unit.py     run units the one way the DAGs and the CLI share (mode → ingest → record the source check)
    modes.py        live | replay | auto, and the base URLs for each
    catalog.py      the indicator catalog (dbt_project/seeds/indicator_catalog.csv) → what to fetch
    kolada_kpi.py   one Kolada KPI → one batch
    scb_spec.py     one SCB table spec (primary table + successors) → one batch per query chunk
    file_drop.py    one mapping file in data/landing/ → one batch
    sources/        API clients and normalisers: kolada, scb/ (PxWeb v2 and v1), jsonstat, files
    http.py         one HTTP layer: timeouts, retries with backoff, Retry-After, per-host rate limits
    raw_store.py    data/raw/: content-addressed response bodies
    batches.py      data/batches/: manifest (provenance) + parquet rows, committed atomically
    contract.py     the normalised long format every source lands in
    replay/         the replay server and the real recorded payloads it serves
"""
