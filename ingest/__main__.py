"""`python -m ingest …` → the jamstat CLI (ingest/cli.py)."""
from ingest.cli import main

main(prog_name="python -m ingest")
