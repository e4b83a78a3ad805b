"""What a dashboard's YAML may say: filters, tabs and charts, typed and validated with pydantic.

The shapes are checked here; what refers to what (a chart's tab, the filters its SQL uses) is
checked in `lakebox.serving.dashboards.references`, once the whole file is known.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lakebox.serving.queries import MAX_ROW_LIMIT

# Filter names become SQL parameter names ($store) and URL keys; chart names become URL parts.
FILTER_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
CHART_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# URL keys the page itself uses, so no filter may take them.
RESERVED = frozenset({"tab", "format", "token", "limit"})
FILTER_KINDS = ("select", "multiselect", "date_range", "hour_range", "resolution")
CHART_KINDS = ("line", "bar", "area", "scatter", "table", "kpi")
PLOTTED = ("line", "bar", "area", "scatter")

Scalar = bool | int | float | date | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Option(_Strict):
    """One choice of a select or multi-select: the value bound to SQL and what the user sees."""

    value: Scalar
    label: str | None = None

    @property
    def shown(self) -> str:
        """Return the label, or the value as text."""
        return self.label if self.label is not None else as_text(self.value)


class _Filter(_Strict):
    label: str | None = None
    description: str | None = None


class _Choosing(_Filter):
    """A filter choosing among options, listed in the YAML or given by SQL."""

    options: list[Option] | None = None
    options_sql: str | None = None

    @field_validator("options", mode="before")
    @classmethod
    def _bare_values(cls, value: object) -> object:
        """`[a, b]` is short for `[{value: a}, {value: b}]`."""
        if not isinstance(value, list):
            return value
        return [item if isinstance(item, dict) else {"value": item} for item in value]

    @model_validator(mode="after")
    def _one_source_of_options(self) -> _Choosing:
        if (self.options is None) == (self.options_sql is None):
            raise ValueError(
                "give exactly one of 'options' (a list) and 'options_sql' (a query whose first "
                "column is the value and optional second the label)"
            )
        return self


class SelectFilter(_Choosing):
    """A dropdown: one value, bound as `$name` (NULL for the `all` choice)."""

    kind: Literal["select"]
    default: Scalar | None = None
    all: str | None = None


class MultiSelectFilter(_Choosing):
    """A multi-select: a list of values, bound as `$name` (use `list_contains($name, col)`)."""

    kind: Literal["multiselect"]
    default: list[Scalar] | None = None


class DateRangeFilter(_Filter):
    """A two-thumb date slider: bound as `$name_from` and `$name_to` (DATEs, inclusive)."""

    kind: Literal["date_range"]
    bounds: list[date] | None = Field(default=None, min_length=2, max_length=2)
    bounds_sql: str | None = None
    default: list[date] | None = Field(default=None, min_length=2, max_length=2)
    default_days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> DateRangeFilter:
        if (self.bounds is None) == (self.bounds_sql is None):
            raise ValueError(
                "give exactly one of 'bounds' ([first, last] dates) and 'bounds_sql' (a query "
                "giving the first and last date as its two columns)"
            )
        if self.default is not None and self.default_days is not None:
            raise ValueError("give 'default' or 'default_days', not both")
        for pair in (self.bounds, self.default):
            if pair is not None and pair[0] > pair[1]:
                raise ValueError(f"{pair[0]} comes after {pair[1]}; write [first, last]")
        return self


class HourRangeFilter(_Filter):
    """A two-thumb hour slider over 0–23: bound as `$name_from` and `$name_to` (inclusive)."""

    kind: Literal["hour_range"]
    default: tuple[Annotated[int, Field(ge=0, le=23)], Annotated[int, Field(ge=0, le=23)]] = (0, 23)

    @field_validator("default")
    @classmethod
    def _in_order(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] > value[1]:
            raise ValueError(f"hour {value[0]} comes after {value[1]}; write [first, last]")
        return value


class ResolutionOption(_Strict):
    """A resolution's choice: its name and the SQL fragments it puts into the charts' SQL."""

    value: str
    label: str | None = None
    fragments: dict[str, str] = Field(default_factory=dict)

    @field_validator("value")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_]+", value):
            raise ValueError(
                f"resolution value {value!r} may hold only letters, digits and _ "
                "(it can be pasted into SQL as {{ name }})"
            )
        return value


class ResolutionFilter(_Filter):
    """A switch among declared options; the charts' SQL reads the chosen option's fragments
    as `{{ name.fragment }}` (or its value as `{{ name }}`). It binds no parameter."""

    kind: Literal["resolution"]
    options: list[ResolutionOption] = Field(min_length=1)
    default: str | None = None

    @model_validator(mode="after")
    def _same_fragments(self) -> ResolutionFilter:
        keys = set(self.options[0].fragments)
        for option in self.options[1:]:
            if set(option.fragments) != keys:
                raise ValueError(
                    f"option {option.value!r} has fragments {sorted(option.fragments)} but "
                    f"{self.options[0].value!r} has {sorted(keys)}; every option needs the same"
                )
        values = [option.value for option in self.options]
        if len(set(values)) != len(values):
            raise ValueError(f"option values repeat: {values}")
        if self.default is not None and self.default not in values:
            raise ValueError(f"default {self.default!r} is not one of the options {values}")
        return self

    def option(self, value: str) -> ResolutionOption | None:
        """Return the declared option called `value`, if any."""
        return next((option for option in self.options if option.value == value), None)


Filter = Annotated[
    SelectFilter | MultiSelectFilter | DateRangeFilter | HourRangeFilter | ResolutionFilter,
    Field(discriminator="kind"),
]


class Chart(_Strict):
    """One chart: a kind, the SQL giving its rows, and which columns it draws."""

    kind: Literal["line", "bar", "area", "scatter", "table", "kpi"]
    sql: str
    title: str | None = None
    description: str | None = None
    x: str | None = None
    y: list[str] = Field(default_factory=list)
    series: str | None = None
    value: str | None = None
    unit: str | None = None
    tab: str | None = None
    width: Literal["full", "half"] = "full"
    limit: int | None = Field(default=None, ge=1, le=MAX_ROW_LIMIT)

    @field_validator("y", mode="before")
    @classmethod
    def _one_or_several(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _columns_fit_the_kind(self) -> Chart:
        if self.kind in PLOTTED and (self.x is None or not self.y):
            raise ValueError(f"a {self.kind} chart needs 'x' and 'y' (column names of its SQL)")
        if self.kind == "kpi" and self.value is None:
            raise ValueError("a kpi chart needs 'value': the column whose first row it shows")
        if self.kind != "kpi" and self.value is not None:
            raise ValueError(f"'value' is for kpi charts; a {self.kind} chart uses 'x' and 'y'")
        if self.kind in ("table", "kpi") and (self.x or self.y or self.series):
            raise ValueError(f"a {self.kind} chart has no 'x', 'y' or 'series'")
        return self


class Dashboard(_Strict):
    """A whole `dashboards/<name>.yaml`."""

    title: str
    description: str | None = None
    filters: dict[str, Filter] = Field(default_factory=dict)
    tabs: dict[str, str] = Field(default_factory=dict)
    charts: dict[str, Chart] = Field(min_length=1)

    def tab_of(self, chart: Chart) -> str | None:
        """Return the chart's tab: its own, else the first declared, else None (no tabs)."""
        return chart.tab or next(iter(self.tabs), None)


def as_text(value: object) -> str:
    """Return an option value as the text a URL and the page carry (1, 2.5, true, 2025-06-01)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
