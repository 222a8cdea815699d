"""Stage 3, audit: the quality gates that decide whether a candidate may be published. One module per gate
(dbt_tests, freshness, great_expectations, soda), one result type (result.GateResult), and the report for
people (report). Gates read the candidate read-only and never import the source clients."""
