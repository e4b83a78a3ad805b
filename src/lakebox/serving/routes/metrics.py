"""`GET /metrics`: the lakehouse's Prometheus metrics, for a Prometheus server to scrape."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lakebox.lakehouse import Lakehouse
from lakebox.monitoring.metrics import registry


def router(lh: Lakehouse) -> APIRouter:
    """Return the router serving `lh`'s metrics at `/metrics` (left out of the OpenAPI schema)."""
    routes = APIRouter()
    metrics = registry(lh)

    @routes.get("/metrics", include_in_schema=False)
    def scrape() -> Response:
        return Response(generate_latest(metrics), media_type=CONTENT_TYPE_LATEST)

    return routes
