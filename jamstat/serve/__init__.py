"""Stage 5, serve: the published marts copied into PostgreSQL for BI tools, read by a least-privilege role."""
