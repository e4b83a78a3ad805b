"""The `models:` section: where the exploitation zone's SQL models live; and how one model is
built incrementally (`incremental:` in its header comment or its YAML file)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakebox.config.base import IDENTIFIER, Strict
from lakebox.config.durations import LOOKBACK, duration_seconds, lookback_seconds
from lakebox.config.sizes import size_bytes

MAX_KEY_COLUMNS = 16
MAX_LOOKBACK_SECONDS = 10 * 366 * 86400  # ten years


class ModelsConfig(Strict):
    """Where the exploitation zone's SQL models live, and the bounds of one model's build:
    its time (`timeout`, seconds) and the scratch space DuckDB may spill to (`max_temp_size`,
    bytes)."""

    path: str = "models"
    timeout: float = Field(default=30 * 60.0, gt=0)
    max_temp_size: int = Field(default=8 * 10**9, ge=10**6)

    @field_validator("timeout", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        return duration_seconds(value) if isinstance(value, str) else value

    @field_validator("max_temp_size", mode="before")
    @classmethod
    def _bytes(cls, value: object) -> object:
        return size_bytes(value)


class IncrementalModelConfig(Strict):
    """How a model is rebuilt when its inputs change: only the ranges of its `time` column
    (`by: time_range`) or the values of its `key` (`by: unique_key`) that the changed input
    rows reach. See docs/concepts.md, "Incremental models"."""

    by: Literal["time_range", "unique_key"]
    time: str | None = None
    lookback: str = "0 days"
    key: list[str] = Field(default_factory=list, max_length=MAX_KEY_COLUMNS)

    @field_validator("time")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None and not IDENTIFIER.fullmatch(value):
            raise ValueError(f"time {value!r} must be a column name (lower-case, digits, _)")
        return value

    @field_validator("key")
    @classmethod
    def _key(cls, value: list[str]) -> list[str]:
        for column in value:
            if not IDENTIFIER.fullmatch(column):
                raise ValueError(f"key column {column!r} must be lower-case letters, digits, _")
        return list(dict.fromkeys(value))

    @field_validator("lookback")
    @classmethod
    def _lookback(cls, value: str) -> str:
        if not LOOKBACK.match(value):
            raise ValueError(f"lookback {value!r} is not a duration like '2 days' or '6h'")
        if lookback_seconds(value) > MAX_LOOKBACK_SECONDS:
            raise ValueError(f"lookback {value!r} is longer than ten years")
        return value

    @model_validator(mode="after")
    def _fits_by(self) -> IncrementalModelConfig:
        if self.by == "time_range" and (self.time is None or self.key):
            raise ValueError("by: time_range needs time: <column> (and no key)")
        if self.by == "unique_key" and (not self.key or self.time is not None):
            raise ValueError("by: unique_key needs key: [columns] (and no time)")
        if self.by == "unique_key" and self.lookback != "0 days":
            raise ValueError("lookback applies to by: time_range only")
        return self

    @property
    def lookback_seconds(self) -> int:
        """Return the lookback in seconds."""
        return lookback_seconds(self.lookback)
