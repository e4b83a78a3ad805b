"""The `serve:` section: bounds on the users' queries that `lakebox serve` and `lakebox pg` run."""

from __future__ import annotations

from pydantic import Field, field_validator

from lakebox.config.base import Strict
from lakebox.config.durations import LOOKBACK, lookback_seconds
from lakebox.config.sizes import size_bytes


class ServeConfig(Strict):
    """Bounds on the users' queries that `lakebox serve` and `lakebox pg` run."""

    max_concurrent_queries: int = Field(default=4, ge=1, le=64)
    max_queued_queries: int = Field(default=16, ge=0, le=10_000)
    queue_timeout: float = Field(default=10.0, gt=0)
    max_result_bytes: int = Field(default=64 * 10**6, ge=1024)

    @field_validator("queue_timeout", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().replace(".", "", 1).isdigit():
            if not LOOKBACK.match(value):
                raise ValueError(f"queue_timeout {value!r} is not a duration like '10s'")
            return lookback_seconds(value)
        return value

    @field_validator("max_result_bytes", mode="before")
    @classmethod
    def _bytes(cls, value: object) -> object:
        return size_bytes(value)
