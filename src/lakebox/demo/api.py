"""The demo retail chain's door-sensor system as a client would expose it: a paged JSON API.

It simulates the vendor API a store chain puts in front of its door counters, the kind of source
a lakehouse pulls from on a schedule. It serves the hourly counts of `generators.sensors`, live:

- `GET /v1/counts?since=&until=&store=&page=&page_size=` gives one page of hourly readings,
  `{"data": [{"store_id", "city", "sensor", "hour", "count"}], "page", "page_size", "total",
  "pages"}`, ordered by (UTC hour, sensor). `hour` is the hour's start in the store's local time
  with its UTC offset; -1 marks a failed reading. `since` and `until` are exclusive bounds on
  that start (`since < hour < until`); `since` defaults to a week before the clock, and `until`
  defaults to, and is capped at, the last hour boundary the clock has passed.
- `GET /v1/stores` gives `{"data": [{"id", "city", "timezone", "sensors": [sensor ids]}]}`.

Time comes from a clock the caller controls, and only hours that have ended by it are served, so
a demo can move the clock forward and watch new hours arrive between two incremental pulls. For
the same seed an hour's count is the one the weekly file exports hold (`readings_between`).
With a token, every endpoint wants `Authorization: Bearer <token>` and the OpenAPI docs are off.

`SensorService` runs the app with uvicorn on 127.0.0.1 in a background thread, on a free port.
"""

from __future__ import annotations

import hmac
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from types import TracebackType
from typing import Annotated

import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from pydantic import AwareDatetime, BaseModel

from lakebox.demo.generators.sensors import STORES, Reading, Store, readings_between
from lakebox.errors import LakeboxError

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
HOUR = timedelta(hours=1)
LOOKBACK = timedelta(days=7)
DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 5000
# Monday after the demo's file calendar (which ends Sunday 2025-06-29): the API carries on.
DEFAULT_NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)


class CountRow(BaseModel):
    """One sensor's visitors in one hour; -1 when the reading failed."""

    store_id: str
    city: str
    sensor: str
    hour: str
    count: int


class CountsPage(BaseModel):
    """One page of hourly counts with the size of the whole range."""

    data: list[CountRow]
    page: int
    page_size: int
    total: int
    pages: int


class StoreInfo(BaseModel):
    """A store as the sensor system knows it."""

    id: str
    city: str
    timezone: str
    sensors: list[str]


class StoreList(BaseModel):
    """Every store of the chain."""

    data: list[StoreInfo]


@dataclass(frozen=True)
class _Window:
    """The whole UTC hours `first <= h < stop` of a request, over some stores."""

    first: datetime
    stop: datetime
    stores: tuple[Store, ...]

    @property
    def hours(self) -> int:
        """Return how many hours the window spans."""
        return max(0, math.ceil((self.stop - self.first) / HOUR))

    @property
    def sensors(self) -> int:
        """Return how many sensors, hence rows per hour, the window's stores have."""
        return sum(store.sensors for store in self.stores)


def create_app(seed: int, clock: Clock, token: str | None = None) -> FastAPI:
    """Return the sensor API for `seed`, serving the hours that have ended by `clock()`."""
    app = FastAPI(
        title="Door sensors (lakebox demo)",
        dependencies=[Depends(_bearer_check(token))] if token else [],
        docs_url=None if token else "/docs",
        redoc_url=None,
        openapi_url=None if token else "/openapi.json",
    )
    app.add_api_route("/v1/counts", _counts_endpoint(seed, clock), methods=["GET"])
    app.add_api_route("/v1/stores", _stores_endpoint, methods=["GET"])
    return app


def _bearer_check(token: str) -> Callable[[Request], None]:
    """Return a dependency that rejects requests without `Authorization: Bearer <token>`."""
    expected = token.encode()

    def check(request: Request) -> None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected):
            raise HTTPException(
                401,
                detail="missing or wrong token; send the header 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return check


def _counts_endpoint(seed: int, clock: Clock) -> Callable[..., CountsPage]:
    """Return the `GET /v1/counts` handler for `seed` and `clock`."""

    def counts(
        since: AwareDatetime | None = None,
        until: AwareDatetime | None = None,
        store: str | None = None,
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    ) -> CountsPage:
        """Return one page of the hourly counts with `since < hour < until`, ended hours only."""
        window = _window(_utc(clock()), since, until, _stores(store))
        return _page(seed, window, page, page_size)

    return counts


def _stores_endpoint() -> StoreList:
    """Return every store with its timezone and sensor ids."""
    return StoreList(data=[_store_info(store) for store in STORES])


def _store_info(store: Store) -> StoreInfo:
    return StoreInfo(
        id=store.id, city=store.city, timezone=store.timezone, sensors=store.sensor_ids
    )


def _window(
    now: datetime, since: datetime | None, until: datetime | None, stores: tuple[Store, ...]
) -> _Window:
    """Return the hours after `since` (default a week ago) and before `until`, ended by `now`."""
    cap = _floor_hour(now)
    stop = cap if until is None else min(_utc(until), cap)
    after = now - LOOKBACK if since is None else _utc(since)
    # Clamping first keeps `+ HOUR` from overflowing on a `since` near datetime.max.
    return _Window(_floor_hour(min(after, stop)) + HOUR, stop, stores)


def _stores(store_id: str | None) -> tuple[Store, ...]:
    """Return the stores a request asks for: all, or the one named (else 404)."""
    if store_id is None:
        return STORES
    for store in STORES:
        if store.id == store_id:
            return (store,)
    known = ", ".join(store.id for store in STORES)
    raise HTTPException(404, detail=f"unknown store '{store_id}'; known stores: {known}")


def _page(seed: int, window: _Window, page: int, page_size: int) -> CountsPage:
    """Return page `page` of `window`, generating only from the page's first hour onwards."""
    total = window.hours * window.sensors
    skipped_hours, skipped_rows = divmod((page - 1) * page_size, max(window.sensors, 1))
    start = window.first + min(skipped_hours, window.hours) * HOUR
    readings = readings_between(seed, start, window.stop, window.stores)
    rows = islice(readings, skipped_rows, skipped_rows + page_size)
    return CountsPage(
        data=[_row(store, reading) for store, reading in rows],
        page=page,
        page_size=page_size,
        total=total,
        pages=math.ceil(total / page_size),
    )


def _row(store: Store, reading: Reading) -> CountRow:
    return CountRow(
        store_id=store.id,
        city=store.city,
        sensor=reading.sensor,
        hour=reading.ts.isoformat(),
        count=reading.count,
    )


def _utc(moment: datetime) -> datetime:
    """Return an aware `moment` in UTC, or raise 422 when it cannot be expressed in UTC."""
    if moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no UTC offset; the clock must be aware")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise HTTPException(422, detail=f"{moment.isoformat()} is out of range") from None


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class SensorService:
    """The sensor API served by uvicorn on 127.0.0.1 (a free port) from a background thread.

    `now` is the simulated clock the API reads; set it to let time pass between two pulls.
    Use as a context manager, or call `start()` and `stop()`.
    """

    def __init__(
        self,
        seed: int = 7,
        now: datetime = DEFAULT_NOW,
        token: str | None = None,
        startup_timeout: float = 10.0,
    ) -> None:
        self.seed = seed
        self.now = now
        self.startup_timeout = startup_timeout
        self.app = create_app(seed, lambda: self.now, token)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def now(self) -> datetime:
        """Return the simulated current time the API serves up to."""
        return self._now

    @now.setter
    def now(self, moment: datetime) -> None:
        if moment.utcoffset() is None:
            raise ValueError(f"now={moment.isoformat()} has no UTC offset; pass an aware datetime")
        self._now = moment

    @property
    def url(self) -> str:
        """Return the base URL, `http://127.0.0.1:PORT`, of the running service."""
        if self._server is None or not self._server.started:
            raise LakeboxError("the sensor service is not running", hint="call start() first")
        return f"http://127.0.0.1:{_bound_port(self._server)}"

    def start(self) -> SensorService:
        """Return the service once it accepts connections; raise LakeboxError if it cannot."""
        if self._thread is not None:
            raise LakeboxError("the sensor service is already started", hint="stop() it first")
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            log_config=None,  # no handlers of uvicorn's own: leave logging to the application
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, name="lakebox-sensor-service", daemon=True
        )
        self._thread.start()
        self._wait_until_started()
        return self

    def stop(self) -> None:
        """Stop serving, close the port and wait for the server thread to end."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> SensorService:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_until_started(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise LakeboxError(
                    f"the sensor service did not start within {self.startup_timeout:g} s",
                    hint="see the uvicorn warnings logged under 'uvicorn.error'",
                )
            time.sleep(0.01)
        logger.info("sensor service (seed %d) listening on %s", self.seed, self.url)


def _bound_port(server: uvicorn.Server) -> int:
    return server.servers[0].sockets[0].getsockname()[1]
