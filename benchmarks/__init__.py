"""Reproducible performance measurements of the Next Steps app against a minimal Chalice baseline.

`make bench` (or `python -m benchmarks.run`) prints the table and writes
benchmarks/results/latest.json; see benchmarks/README.md.
"""
