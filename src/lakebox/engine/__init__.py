"""Who runs SQL: the DuckDB engine (default), with the same small surface for others."""

from lakebox.engine.duckdb import DuckDBEngine, quote_identifier, quote_literal

__all__ = ["DuckDBEngine", "quote_identifier", "quote_literal"]
