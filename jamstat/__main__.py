"""`python -m jamstat …` → the jamstat CLI (jamstat/cli.py)."""
from jamstat.cli import main

main(prog_name="python -m jamstat")
