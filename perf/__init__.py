"""Benchmark, pandas baseline, load test and their helpers (not the domain)."""
