"""A forecast's declaration: what to read, how to split it into series and how far to look.

Declared under `forecasts:` in `lakebox.yaml` (the key is the forecast's name) or built by
`lakebox forecast` from its options:

```yaml
forecasts:
  materials:
    table: exploitation.materials_monthly
    ids: [material]
    time: month
    value: quantity_kg
    freq: MS
    horizon: 12
```
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from lakebox.config.base import IDENTIFIER, Strict
from lakebox.config.names import ColumnName, ColumnNames

_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*")

# Each frequency's pandas offset and the seasons a series of it usually has.
FREQUENCIES: dict[str, tuple[str, tuple[int, ...]]] = {
    "h": ("h", (24, 168)),
    "D": ("D", (7,)),
    "W": ("W", (52,)),
    "MS": ("MS", (12,)),
    "M": ("ME", (12,)),
    "QS": ("QS", (4,)),
    "Q": ("QE", (4,)),
    "YS": ("YS", ()),
    "Y": ("YE", ()),
}
MODELS = (
    "auto",
    "auto_ets",
    "ets_adjusted",
    "auto_theta",
    "theta",
    "dynamic_theta",
    "auto_arima",
    "auto_ces",
    "ces",
    "seasonal_naive",
    "mstl",
    "polynomial",
    "lightgbm",
)


# A pandas offset alias's unit (its anchor, e.g. -SUN or -DEC, and its B/S/E variants aside).
_UNITS = {
    "s": "second",
    "S": "second",
    "min": "minute",
    "T": "minute",
    "h": "hour",
    "H": "hour",
    "bh": "business hour",
    "BH": "business hour",
    "D": "day",
    "B": "business day",
    "C": "business day",
    "W": "week",
    "M": "month",
    "MS": "month",
    "ME": "month",
    "BM": "month",
    "BMS": "month",
    "BME": "month",
    "SM": "half month",
    "SMS": "half month",
    "SME": "half month",
    "Q": "quarter",
    "QS": "quarter",
    "QE": "quarter",
    "BQ": "quarter",
    "BQS": "quarter",
    "BQE": "quarter",
    "Y": "year",
    "YS": "year",
    "YE": "year",
    "A": "year",
    "AS": "year",
    "BY": "year",
    "BYS": "year",
    "BYE": "year",
    "BA": "year",
    "BAS": "year",
}
_ALIAS = re.compile(r"(\d*)([A-Za-z]+)(?:-[A-Za-z]+)?")


def horizon_words(horizon: int, freq: str) -> str:
    """Return `horizon` steps of pandas frequency `freq` in words: `12 months` for 12 × MS,
    `8 weeks` for 8 × W-SUN, `30 minutes` for 2 × 15min; `horizon × freq` for an alias
    it does not know."""
    match = _ALIAS.fullmatch(freq.strip())
    unit = _UNITS.get(match.group(2)) if match else None
    if match is None or unit is None:
        return f"{horizon} × {freq}"
    count = horizon * int(match.group(1) or 1)
    return f"{count} {unit}" + ("" if count == 1 else "s")


def forecast_name(value: str) -> str:
    """Return `value` if it can name a forecast (and its tables), else raise ValueError."""
    if not IDENTIFIER.fullmatch(value):
        raise ValueError(f"forecast name {value!r} must be lower-case letters, digits and _")
    return value


ForecastName = Annotated[str, AfterValidator(forecast_name)]


class ForecastConfig(Strict):
    """One forecast: a table (or a query), its series ids, time and value columns, how far."""

    name: ForecastName | None = None
    table: str | None = None
    sql: str | None = None
    ids: ColumnNames = Field(default_factory=list)
    time: ColumnName
    value: ColumnName
    freq: str
    horizon: int = Field(ge=1, le=10_000)
    levels: list[int] = Field(default_factory=lambda: [80, 95])
    models: list[str] = Field(default_factory=lambda: ["auto"])
    season_lengths: list[int] | None = None
    backtest_windows: int = Field(default=2, ge=1, le=20)
    fill: Literal["interpolate", "zero", "error"] = "interpolate"
    non_negative: bool | Literal["auto"] = "auto"

    @field_validator("table")
    @classmethod
    def _zone_dot_table(cls, value: str | None) -> str | None:
        if value is not None and not _TABLE.fullmatch(value):
            raise ValueError(f"table {value!r} is not zone.table, e.g. exploitation.sales")
        return value

    @field_validator("freq")
    @classmethod
    def _known_freq(cls, value: str) -> str:
        if value not in FREQUENCIES:
            raise ValueError(f"unknown freq {value!r}; use one of {', '.join(FREQUENCIES)}")
        return value

    @field_validator("levels")
    @classmethod
    def _percentages(cls, value: list[int]) -> list[int]:
        if any(not 0 < level < 100 for level in value):
            raise ValueError(f"levels {value} must be percentages between 1 and 99, e.g. [80, 95]")
        return sorted(set(value))

    @field_validator("models")
    @classmethod
    def _known_models(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in MODELS]
        if unknown:
            raise ValueError(f"unknown model {unknown[0]!r}; use some of {', '.join(MODELS)}")
        if not value:
            raise ValueError("models needs at least one model, e.g. [auto]")
        return list(dict.fromkeys(value))

    @field_validator("season_lengths")
    @classmethod
    def _positive_seasons(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and any(season < 2 for season in value):
            raise ValueError(f"season_lengths {value} must be 2 or more, e.g. [12]")
        return None if value is None else sorted(set(value))

    @model_validator(mode="after")
    def _table_or_sql(self) -> ForecastConfig:
        if (self.table is None) == (self.sql is None):
            raise ValueError("give either 'table' or 'sql' (exactly one)")
        return self

    @property
    def seasons(self) -> tuple[int, ...]:
        """Return the season lengths: the declared ones, else the usual ones of `freq`."""
        if self.season_lengths is not None:
            return tuple(self.season_lengths)
        return FREQUENCIES[self.freq][1]

    @property
    def horizon_words(self) -> str:
        """Return the horizon in words, e.g. `12 months`."""
        return horizon_words(self.horizon, self.freq)

    @property
    def offset(self) -> str:
        """Return the pandas offset alias of `freq`."""
        return FREQUENCIES[self.freq][0]

    @property
    def source(self) -> str:
        """Return what the forecast reads: its table, or 'its query'."""
        return self.table or "the forecast's sql"

    def named(self, name: str) -> ForecastConfig:
        """Return this config with `name` set (a declared forecast is named by its key)."""
        return self.model_copy(update={"name": forecast_name(name)})
