"""The `anomalies:` block of `lakebox.yaml`: named rule declarations, validated by pydantic.

Each declaration names the table it reads (id columns, time column, value column) and exactly
one rule kind with its parameters and thresholds, the way a check names exactly one check kind:

```yaml
anomalies:
  store_days:
    table: exploitation.traffic_store_daily
    ids: [store_id]
    time: local_date
    value: visitors
    weekday_deviation: {grain: day, weeks: 4, warn_pct: 30, critical_pct: 60}
```
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RULE_KINDS = ("weekday_deviation", "failed_sensor", "outside_forecast")
_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")
_COLUMN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def zone_table(value: str) -> str:
    """Return `value` if it is written `zone.table`, else raise ValueError."""
    if not _TABLE.fullmatch(value):
        raise ValueError(f"table {value!r} is not zone.table, e.g. exploitation.daily_sales")
    return value


def column_name(value: str) -> str:
    """Return `value` if it is a plain column name, else raise ValueError."""
    if not _COLUMN.fullmatch(value):
        raise ValueError(f"{value!r} is not a column name (letters, digits and _)")
    return value


class WeekdayDeviation(_Strict):
    """How far a value is from the mean of the last `weeks` values of the same weekday (and,
    at hourly grain, the same hour), as a fraction of that mean."""

    grain: Literal["day", "hour"] = "day"
    weeks: int = Field(default=4, ge=1, le=52)
    min_history: int | None = Field(default=None, ge=1)
    aggregate: Literal["sum", "avg", "min", "max"] = "sum"
    baseline: Literal["mean", "median"] = "mean"
    direction: Literal["both", "up", "down"] = "both"
    min_expected: float = Field(default=0.0, ge=0)
    info_pct: float | None = Field(default=None, gt=0)
    warn_pct: float = Field(default=30.0, gt=0)
    critical_pct: float | None = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> WeekdayDeviation:
        if self.min_history is not None and self.min_history > self.weeks:
            raise ValueError(f"min_history {self.min_history} is more than weeks {self.weeks}")
        levels = [pct for pct in (self.info_pct, self.warn_pct, self.critical_pct) if pct]
        if levels != sorted(set(levels)):
            raise ValueError("thresholds must grow: info_pct < warn_pct < critical_pct")
        return self

    @property
    def history(self) -> int:
        """Return how many earlier values a value needs before it is judged."""
        return self.min_history or self.weeks


class OpeningHours(_Strict):
    """When a shop is open, in the time column's own (local) time: the same hours each day."""

    weekdays: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5, 6])
    opens: float = Field(default=9, ge=0, le=24)
    closes: float = Field(default=21, ge=0, le=24)

    @field_validator("weekdays")
    @classmethod
    def _iso_weekdays(cls, value: list[int]) -> list[int]:
        if not value or any(day < 1 or day > 7 for day in value):
            raise ValueError("weekdays are ISO numbers 1 (Monday) to 7 (Sunday), e.g. [1, 2, 3]")
        return value

    @model_validator(mode="after")
    def _opens_first(self) -> OpeningHours:
        if self.opens >= self.closes:
            raise ValueError(f"opens ({self.opens}) must be before closes ({self.closes})")
        return self


class HoursTable(_Strict):
    """Opening hours kept in a table: one row per id (e.g. store) and ISO weekday."""

    table: str
    on: list[str] = Field(min_length=1)
    weekday: str = "weekday"
    opens: str = "opens"
    closes: str = "closes"

    @field_validator("table")
    @classmethod
    def _zone_table(cls, value: str) -> str:
        return zone_table(value)

    @field_validator("on", mode="before")
    @classmethod
    def _one_is_a_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("on")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        return [column_name(column) for column in value]

    @field_validator("weekday", "opens", "closes")
    @classmethod
    def _name(cls, value: str) -> str:
        return column_name(value)


class FailedSensor(_Strict):
    """Runs of a sentinel reading (a failed sensor), and runs of zeros during opening hours."""

    sentinel: float | None = -1
    null_is_failure: bool = False
    min_run: int = Field(default=3, ge=1)
    zero_min_run: int = Field(default=3, ge=1)
    critical_run: int | None = Field(default=12, ge=1)
    opening_hours: OpeningHours | None = None
    open_when: str | None = None
    hours_table: HoursTable | None = None

    @model_validator(mode="after")
    def _one_way_to_open(self) -> FailedSensor:
        ways = [way for way in ("opening_hours", "open_when", "hours_table") if getattr(self, way)]
        if len(ways) > 1:
            raise ValueError(f"give opening hours one way, not {' and '.join(ways)}")
        if self.sentinel is None and not self.null_is_failure:
            raise ValueError("with no 'sentinel', set null_is_failure: true (else nothing fails)")
        if self.critical_run is not None and self.critical_run < min(
            self.min_run, self.zero_min_run
        ):
            raise ValueError("critical_run must be at least min_run and zero_min_run")
        return self

    @property
    def checks_zeros(self) -> bool:
        """Return whether zeros are judged: only when opening hours say when to expect visits."""
        return bool(self.opening_hours or self.open_when or self.hours_table)


class OutsideForecast(_Strict):
    """Actuals outside a forecast's intervals: `analytics.forecast_<name>` joined by id columns
    and time."""

    forecast: str
    forecast_time: str = "ds"
    model: str | None = None
    warn_interval: int = Field(default=80, gt=0, lt=100)
    critical_interval: int | None = Field(default=95, gt=0, lt=100)

    @field_validator("forecast")
    @classmethod
    def _table(cls, value: str) -> str:
        return zone_table(value)

    @field_validator("forecast_time")
    @classmethod
    def _name(cls, value: str) -> str:
        return column_name(value)

    @model_validator(mode="after")
    def _wider_is_critical(self) -> OutsideForecast:
        if self.critical_interval is not None and self.critical_interval <= self.warn_interval:
            raise ValueError("critical_interval must be wider than warn_interval, e.g. 95 and 80")
        return self


class AnomalyRuleConfig(_Strict):
    """One declared anomaly rule: the table it reads and exactly one rule kind."""

    table: str
    ids: list[str] = Field(default_factory=list)
    time: str
    value: str
    where: str | None = None
    description: str | None = None
    weekday_deviation: WeekdayDeviation | None = None
    failed_sensor: FailedSensor | None = None
    outside_forecast: OutsideForecast | None = None

    @field_validator("table")
    @classmethod
    def _zone_table(cls, value: str) -> str:
        return zone_table(value)

    @field_validator("ids", mode="before")
    @classmethod
    def _one_is_a_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("ids")
    @classmethod
    def _id_names(cls, value: list[str]) -> list[str]:
        return [column_name(column) for column in value]

    @field_validator("time", "value")
    @classmethod
    def _column(cls, value: str) -> str:
        return column_name(value)

    @model_validator(mode="after")
    def _one_kind(self) -> AnomalyRuleConfig:
        kinds = [kind for kind in RULE_KINDS if getattr(self, kind) is not None]
        if len(kinds) != 1:
            raise ValueError(
                f"a rule has exactly one of {', '.join(RULE_KINDS)} (found "
                f"{', '.join(kinds) or 'none'})"
            )
        return self

    @property
    def kind(self) -> str:
        """Return the rule's kind, e.g. `weekday_deviation`."""
        return next(kind for kind in RULE_KINDS if getattr(self, kind) is not None)
