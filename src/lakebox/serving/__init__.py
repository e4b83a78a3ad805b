"""Serving: the HTTP API (and, later, the web UI and the PostgreSQL wire endpoint)."""
