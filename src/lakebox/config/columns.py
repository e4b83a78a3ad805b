"""The `columns:` of a source: a column's canonical type, its units, taxes, dates and names."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from lakebox.config.base import Strict
from lakebox.config.column_types import canonical
from lakebox.config.units import UNITS
from lakebox.errors import ConfigError


class ColumnConfig(Strict):
    """A declared column of a source's canonical schema."""

    class TaxPeriod(Strict):
        """Dates (both inclusive, either open) in which the source's prices include tax."""

        model_config = ConfigDict(populate_by_name=True)

        start: str | None = Field(default=None, alias="from")
        until: str | None = None
        rate: float | None = Field(default=None, ge=0, lt=1)

        @field_validator("start", "until", mode="before")
        @classmethod
        def _a_date(cls, value: object) -> object:
            return None if value is None else ColumnConfig.TaxPeriod.iso_date(value)

        @model_validator(mode="after")
        def _in_order(self) -> ColumnConfig.TaxPeriod:
            if self.start and self.until and self.start > self.until:
                raise ValueError(f"tax period from {self.start} ends before it starts")
            return self

        @staticmethod
        def iso_date(value: object) -> str:
            """Return a YAML date (or ISO date text) as 'YYYY-MM-DD', or raise ValueError."""
            from datetime import date

            try:
                return (
                    value.isoformat()
                    if isinstance(value, date)
                    else str(date.fromisoformat(str(value)))
                )
            except ValueError:
                raise ValueError(f"{value!r} is not a date like 2025-03-01") from None

    class Tax(Strict):
        """Whether a price includes tax, at what rate, and which of net or gross to store."""

        rate: float = Field(ge=0, lt=1)
        included: list[ColumnConfig.TaxPeriod]
        store: Literal["net", "gross"] = "net"

        @field_validator("included", mode="before")
        @classmethod
        def _always_or_never(cls, value: object) -> object:
            """`true` is one period without bounds; `false` is none."""
            return ([{}] if value else []) if isinstance(value, bool) else value

        @property
        def dated(self) -> bool:
            """Return whether a period has a bound, so each row's date decides."""
            return any(period.start or period.until for period in self.included)

        @model_validator(mode="after")
        def _apart(self) -> ColumnConfig.Tax:
            from itertools import pairwise

            periods = sorted(self.included, key=lambda period: period.start or "")
            for earlier, later in pairwise(periods):
                if earlier.until is None or earlier.until >= (later.start or ""):
                    raise ValueError(f"tax periods overlap: {earlier.start} and {later.start}")
            return self

        @field_validator("rate", mode="before")
        @classmethod
        def _a_fraction(cls, value: object) -> object:
            if isinstance(value, int | float) and value >= 1:
                raise ValueError(f"tax rate {value} is not a fraction; write 21% as 0.21")
            return value

    type: str = "VARCHAR"
    rename_from: list[str] = Field(default_factory=list)
    unit: str | None = None
    unit_from: str | None = None
    source_unit: str | None = None
    unit_since: dict[str, str] = Field(default_factory=dict)
    unit_above: dict[float, str] = Field(default_factory=dict)
    tax: Tax | None = None
    date_column: str | None = None
    name_format: Literal["first_last"] | None = None
    timezone: str | None = None
    formats: list[str] = Field(default_factory=list)
    decimal: Literal[".", ","] | None = None  # numbers: the decimal mark (else inferred)
    description: str | None = None
    required: bool = (
        False  # a row without a value here is quarantined ("required value is missing")
    )

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        try:
            return canonical(value)
        except ConfigError as error:
            raise ValueError(str(error)) from None

    @field_validator("unit", "source_unit")
    @classmethod
    def _known_unit(cls, value: str | None) -> str | None:
        if value is not None and value.lower() not in UNITS:
            raise ValueError(f"unknown unit {value!r}; known units: {', '.join(UNITS)}")
        return value

    @field_validator("unit_since", mode="before")
    @classmethod
    def _dated(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        return {ColumnConfig.TaxPeriod.iso_date(day): unit for day, unit in value.items()}

    @model_validator(mode="after")
    def _unit_needs_its_column(self) -> ColumnConfig:
        ways = [key for key in ("unit_from", "unit_since", "unit_above") if getattr(self, key)]
        if self.unit and not ways:
            raise ValueError(
                "'unit' needs 'unit_from' (the column that says each row's unit), 'unit_since' "
                "(the dates the source's unit changed) or 'unit_above' (units by magnitude)"
            )
        if ways and not self.unit:
            raise ValueError(f"{ways[0]!r} needs 'unit': the unit to store the values in")
        if len(ways) > 1:
            raise ValueError(f"use one of 'unit_from', 'unit_since' and 'unit_above', not {ways}")
        if self.source_unit and not (self.unit_since or self.unit_above):
            raise ValueError("'source_unit' is only used with 'unit_since' or 'unit_above'")
        return self

    @model_validator(mode="after")
    def _units_of_one_dimension(self) -> ColumnConfig:
        if not self.unit:
            return self
        wanted = UNITS[self.unit.lower()][0]
        if any(threshold <= 0 for threshold in self.unit_above):
            raise ValueError("'unit_above' thresholds must be positive, e.g. {100000: ms}")
        for unit in [
            self.source_unit or self.unit,
            *self.unit_since.values(),
            *self.unit_above.values(),
        ]:
            if unit.lower() not in UNITS:
                raise ValueError(f"unknown unit {unit!r}; known units: {', '.join(UNITS)}")
            if UNITS[unit.lower()][0] != wanted:
                raise ValueError(f"unit {unit!r} is not a {wanted} like {self.unit!r}")
        return self

    @model_validator(mode="after")
    def _rules_fit_the_type(self) -> ColumnConfig:
        numeric = self.type in ("BIGINT", "INTEGER", "SMALLINT", "DOUBLE", "FLOAT")
        numeric = numeric or self.type.startswith("DECIMAL")
        if (self.unit_since or self.unit_above or self.tax) and not numeric:
            raise ValueError(
                f"'unit_since', 'unit_above' and 'tax' need a number type (DOUBLE, "
                f"DECIMAL(p,s)), not {self.type}"
            )
        if self.name_format and self.type != "VARCHAR":
            raise ValueError(f"'name_format' needs a VARCHAR column, not {self.type}")
        return self

    @model_validator(mode="after")
    def _dates_from_a_column(self) -> ColumnConfig:
        dated = bool(self.unit_since) or (self.tax is not None and self.tax.dated)
        if dated and not self.date_column:
            raise ValueError(
                "'unit_since' and dated 'tax.included' need 'date_column': the column that "
                "gives each row's date"
            )
        if self.date_column and not dated:
            raise ValueError("'date_column' is only used with 'unit_since' or dated 'tax.included'")
        return self
