"""The streams: every declared stream with its intake rate, lag, late and refused counts and
open alerts (refreshed from `GET /api/streams`), and a page per stream whose chart of one
key's windows follows the stream live (`GET /api/streams/{name}/live`, no reload)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lakebox.access.principal import Principal
from lakebox.config.streams import StreamConfig
from lakebox.errors import AccessDenied, StreamError
from lakebox.lakehouse import Lakehouse
from lakebox.serving.dependencies import LakehouseDep, PrincipalDep, QueriesDep
from lakebox.serving.queries import QueryService
from lakebox.serving.routes.streams import summaries, summary
from lakebox.serving.ui.pages.grants import first_refusal, refused
from lakebox.serving.ui.templating import project, render
from lakebox.stream.tables import window_ref
from lakebox.stream.view import (
    KeyView,
    QueryRunner,
    Rows,
    key_value,
    known_stream,
    open_alerts,
    stream_keys,
    value_columns,
)

CHART_WINDOWS = 60
EXAMPLE = """streams:
  air_quality:
    intake: {kind: http}
    key: device_id
    time: ts
    fields: {device_id: VARCHAR, ts: TIMESTAMPTZ, pm25: DOUBLE}
    windows:
      1m: {size: 1m, aggregates: {pm25: [mean, max]}}"""

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/streams")
def listing(request: Request, lh: LakehouseDep, who: PrincipalDep) -> HTMLResponse:
    found = [about for about in summaries(lh) if window_refusal(lh, who, about.name) is None]
    return render(request, "streams.html", "streams", streams=found, example=EXAMPLE, **project(lh))


@router.get("/streams/{name}")
def stream_page(
    request: Request,
    name: str,
    lh: LakehouseDep,
    queries: QueriesDep,
    who: PrincipalDep,
    window: str | None = None,
    key: str | None = None,
) -> HTMLResponse:
    try:
        stream = known_stream(lh, name)
    except StreamError as error:
        return render(
            request, "missing.html", "streams", error=error, status_code=404, **project(lh)
        )
    refusal = window_refusal(lh, who, name)
    if refusal is not None:
        return refused(request, lh, refusal, "streams")
    about = summary(lh, name, open_alerts(lh).get(name, []))
    chosen = window if window in stream.windows else next(iter(stream.windows), None)
    keys = _keys(lh, queries, name, chosen)
    picked, problem = _picked(stream, key, keys)
    if picked is not None and picked not in keys:
        keys = sorted([*keys, picked])
    settings = {
        "name": name,
        "window": chosen,
        "key": picked,
        "limit": CHART_WINDOWS,
        "columns": {window: value_columns(stream, window) for window in stream.windows},
        "keyColumn": stream.key,
    }
    return render(
        request,
        "stream.html",
        "streams",
        stream=about,
        keys=keys,
        chosen=chosen,
        picked=picked,
        problem=problem,
        settings=settings,
        **project(lh),
    )


def _keys(lh: Lakehouse, queries: QueryService, name: str, window: str | None) -> list[str]:
    """Return the keys to pick from (as text): with an open window or a closed one."""
    if window is None:
        return []
    view = KeyView.of(lh, name, window, None, required=False)
    found = stream_keys(lh, _as_user(queries), view)
    return [str(key) for key in found]


def _as_user(queries: QueryService) -> QueryRunner:
    """Return a runner of lakebox's own SQL for the page, as the user (their grants apply)."""

    def run(sql: str, parameters: dict[str, object], limit: int) -> Rows:
        return queries.run(
            sql, limit, parameters=parameters, ability=None, action="read table"
        ).rows()

    return run


def window_refusal(lh: Lakehouse, who: Principal, name: str) -> AccessDenied | None:
    """Return why stream `name`'s page (its window tables and their open windows, shown
    whole) may not be shown to `who`, or None."""
    stream = lh.config.streams[name]
    return first_refusal(lh, who, [window_ref(name, window) for window in stream.windows])


def _picked(
    stream: StreamConfig, key: str | None, keys: list[str]
) -> tuple[str | None, StreamError | None]:
    """Return the key to follow (the one asked for, else the first known) and, for a key
    asked for that the key column cannot hold, why it is not followed."""
    first = keys[0] if keys else None
    if not key:
        return first, None
    try:
        key_value(stream, key)
    except StreamError as error:
        return first, error
    return key, None
