"""Serving: the HTTP API (`app`, one router per module under `routes`), the web UI (`ui`),
the project's dashboards (`dashboards`) and the PostgreSQL wire endpoint (`pgwire`). Reading
the data is left to the packages that own it; serving carries it over the wire."""
