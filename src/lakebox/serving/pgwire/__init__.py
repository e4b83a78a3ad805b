"""lakebox's PostgreSQL wire endpoint: psql, drivers and BI tools read every zone, read-only."""

from lakebox.serving.pgwire.server import ConnectionLimits, PgServer

__all__ = ["ConnectionLimits", "PgServer"]
