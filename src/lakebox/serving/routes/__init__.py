"""The HTTP API's routes, one router per module, in the order the app includes them: tables,
their physical metadata, SQL and checks, runs, models, forecasts, anomalies, lineage,
metrics, pipelines, the streams' events and live view, the dictionary and search."""

from __future__ import annotations

from fastapi import APIRouter

from lakebox.serving.routes import (
    anomalies,
    dictionary,
    forecasts,
    lineage,
    metrics,
    models,
    physical,
    pipelines,
    runs,
    sql,
    stream_events,
    streams,
    tables,
)

ROUTERS: tuple[APIRouter, ...] = (
    tables.router,
    physical.router,
    sql.router,
    runs.router,
    models.router,
    forecasts.router,
    anomalies.router,
    lineage.router,
    metrics.router,
    pipelines.router,
    stream_events.router,
    streams.router,
    dictionary.router,
)
