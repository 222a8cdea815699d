"""Benchmarks (`make bench`). Not tests: they report numbers and ratios into bench/results/latest.json."""
