"""Batch benchmarking: instances x backends x limits x seeds, rows in SQLite, reports."""

from schedkit.batch.runner import BenchConfig, bench, run_bench
from schedkit.batch.store import Store

__all__ = ["BenchConfig", "Store", "bench", "run_bench"]
