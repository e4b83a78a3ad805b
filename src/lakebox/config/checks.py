"""The `checks:` section: data-quality checks of a table, each of exactly one kind."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakebox.config.base import Strict
from lakebox.config.durations import LOOKBACK


class AcceptedValuesCheck(Strict):
    """Every non-NULL value of `column` is one of `values`."""

    column: str
    values: list[str | int | float | bool]


class RangeCheck(Strict):
    """Every non-NULL value of `column` is within [min, max] (either bound may be left out)."""

    column: str
    min: float | str | None = None
    max: float | str | None = None


class RegexCheck(Strict):
    """Every non-NULL value of `column` matches `pattern` (a full match)."""

    column: str
    pattern: str


class RelationshipsCheck(Strict):
    """Every non-NULL value of `column` exists in `field` of table `to` (zone.table)."""

    column: str
    to: str
    field: str


class RowCountCheck(Strict):
    """The table has between `min` and `max` rows."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class FreshnessCheck(Strict):
    """The newest value of time column `column` is at most `max_age` old ('2h', '1 day')."""

    column: str
    max_age: str

    @field_validator("max_age")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not LOOKBACK.match(value):
            raise ValueError(f"max_age {value!r} is not a duration like '2h' or '1 day'")
        return value


class DriftCheck(Strict):
    """The row count (or the mean of `column`) is within `z` standard deviations of its values
    in the table's last `window` checked runs (needs `min_runs` of them first)."""

    metric: Literal["row_count", "mean"] = "row_count"
    column: str | None = None
    window: int = Field(default=10, ge=2)
    min_runs: int = Field(default=3, ge=2)
    z: float = Field(default=3.0, gt=0)

    @model_validator(mode="after")
    def _mean_needs_a_column(self) -> DriftCheck:
        if self.metric == "mean" and not self.column:
            raise ValueError("a 'mean' drift check needs 'column'")
        return self


CHECK_KINDS = (
    "not_null",
    "unique",
    "accepted_values",
    "range",
    "regex",
    "relationships",
    "row_count",
    "freshness",
    "drift",
    "sql",
)


class CheckConfig(Strict):
    """One data-quality check of a table: exactly one kind, a severity and an optional name."""

    name: str | None = None
    severity: Literal["error", "warn"] = "error"
    not_null: list[str] | None = None
    unique: list[str] | None = None
    accepted_values: AcceptedValuesCheck | None = None
    range: RangeCheck | None = None
    regex: RegexCheck | None = None
    relationships: RelationshipsCheck | None = None
    row_count: RowCountCheck | None = None
    freshness: FreshnessCheck | None = None
    drift: DriftCheck | None = None
    sql: str | None = None

    @field_validator("not_null", "unique", mode="before")
    @classmethod
    def _columns(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_kind(self) -> CheckConfig:
        kinds = [kind for kind in CHECK_KINDS if getattr(self, kind) is not None]
        if len(kinds) != 1:
            raise ValueError(
                f"a check has exactly one of {', '.join(CHECK_KINDS)} (found "
                f"{', '.join(kinds) or 'none'})"
            )
        return self

    @property
    def kind(self) -> str:
        """Return the check's kind, e.g. `not_null`."""
        return next(kind for kind in CHECK_KINDS if getattr(self, kind) is not None)
