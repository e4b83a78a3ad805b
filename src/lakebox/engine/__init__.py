"""Who runs SQL: the DuckDB engine (default), with the same small surface for others."""

from collections.abc import Callable

import pyarrow as pa

from lakebox.engine.duckdb import DuckDBEngine

# A function that runs one reading statement, `(sql, parameters=None)`, and returns its rows:
# readers take one (e.g. `QueryService.catalog`) so the caller decides on which engine, under
# which lock and limits, they run.
Read = Callable[..., pa.Table]

__all__ = ["DuckDBEngine", "Read"]
