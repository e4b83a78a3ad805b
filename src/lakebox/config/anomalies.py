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

from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakebox.config.base import Strict
from lakebox.config.names import ColumnName, ColumnNames, ZoneTable

RULE_KINDS = ("weekday_deviation", "failed_sensor", "outside_forecast")


class WeekdayDeviation(Strict):
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


class OpeningHours(Strict):
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


class HoursTable(Strict):
    """Opening hours kept in a table: one row per id (e.g. store) and ISO weekday."""

    table: ZoneTable
    on: ColumnNames = Field(min_length=1)
    weekday: ColumnName = "weekday"
    opens: ColumnName = "opens"
    closes: ColumnName = "closes"


class FailedSensor(Strict):
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


class OutsideForecast(Strict):
    """Actuals outside a forecast's intervals: `analytics.forecast_<name>` joined by id columns
    and time."""

    forecast: ZoneTable
    forecast_time: ColumnName = "ds"
    model: str | None = None
    warn_interval: int = Field(default=80, gt=0, lt=100)
    critical_interval: int | None = Field(default=95, gt=0, lt=100)

    @model_validator(mode="after")
    def _wider_is_critical(self) -> OutsideForecast:
        if self.critical_interval is not None and self.critical_interval <= self.warn_interval:
            raise ValueError("critical_interval must be wider than warn_interval, e.g. 95 and 80")
        return self


class AnomalyRuleConfig(Strict):
    """One declared anomaly rule: the table it reads and exactly one rule kind."""

    table: ZoneTable
    ids: ColumnNames = Field(default_factory=list)
    time: ColumnName
    value: ColumnName
    where: str | None = None
    description: str | None = None
    weekday_deviation: WeekdayDeviation | None = None
    failed_sensor: FailedSensor | None = None
    outside_forecast: OutsideForecast | None = None

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
