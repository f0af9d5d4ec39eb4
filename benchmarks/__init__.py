"""Benchmarks: scripts that measure the library and write one JSON per run."""
