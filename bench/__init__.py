"""Benchmarks: scripts that print JSON figures (`python -m bench.core`)."""
