"""Benchmark of the real bot against the local fakes: `python -m bench.run --help`."""
