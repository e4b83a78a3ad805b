"""`GET /metrics`: the lakehouse's Prometheus metrics, for a Prometheus server to scrape (left
out of the OpenAPI schema). The registry is made once per app (`app.state.metrics`). Where
users are required, the scraper needs an admin's token (the ability `admin`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lakebox.serving.dependencies import require_ability

router = APIRouter()


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(require_ability("admin"))])
def scrape(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
