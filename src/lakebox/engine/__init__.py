"""Who runs SQL: the DuckDB engine (default), with the same small surface for others."""

from lakebox.engine.duckdb import DuckDBEngine

__all__ = ["DuckDBEngine"]
