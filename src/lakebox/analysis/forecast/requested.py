"""Which forecast a request to run one means: the forecast declared under a name, or one
described in the request (`table`, `ids`, `time`, `value`, `freq`, `horizon` …), checked
against the table it reads before any work starts."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from lakebox.catalog import TableRef
from lakebox.config.forecasts import ForecastConfig, forecast_name
from lakebox.errors import AnalysisError, CatalogError, ConfigError
from lakebox.lakehouse import Lakehouse


def run_config(lh: Lakehouse, name: str, given: dict[str, Any] | None) -> ForecastConfig:
    """Return the config to run: the declared forecast `name`, or the one `given` describes."""
    try:
        forecast_name(name)
    except ValueError as error:
        raise ConfigError(str(error), hint="e.g. POST /api/forecasts/materials") from None
    declared = lh.config.forecasts.get(name)
    if given is None:
        if declared is None:
            raise CatalogError(
                f"no forecast {name!r} is declared in lakebox.yaml",
                hint="declare it under 'forecasts:' (docs/forecasting.md), or send a body "
                "with table, ids, time, value, freq and horizon",
            )
        return declared.named(name)
    if declared is not None:
        raise ConfigError(
            f"forecast {name!r} is declared in lakebox.yaml: POST it without a body to run it",
            hint="give the forecast in the body another name",
        )
    config = _validated(name, given)
    _check_input(lh, config)
    return config


def _validated(name: str, given: dict[str, Any]) -> ForecastConfig:
    try:
        return ForecastConfig.model_validate({"name": name, **given})
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{field}: {message}", field=field) from None


def _check_input(lh: Lakehouse, config: ForecastConfig) -> None:
    """Raise unless the config's table exists with its time, value and id columns."""
    zone, _, table = (config.table or "").partition(".")
    ref = TableRef(zone, table)
    if ref not in lh.catalog.metadata_locations():
        raise CatalogError(f"no table {ref.identifier!r}", hint="list them with GET /api/tables")
    fields = {field.name: field.field_type for field in lh.catalog.load(ref).schema().fields}
    for column in (*config.ids, config.time, config.value):
        if column not in fields:
            raise AnalysisError(
                f"{ref.identifier} has no column {column!r}",
                hint=f"its columns: {', '.join(fields)}",
                table=ref.identifier,
            )
    if not _is_numeric(fields[config.value]):
        raise AnalysisError(f"{ref.identifier}.{config.value} is not a number column")
    if not _is_time(fields[config.time]):
        raise AnalysisError(f"{ref.identifier}.{config.time} is not a date or timestamp column")


def _is_numeric(kind: object) -> bool:
    return str(kind).split("(")[0] in ("int", "long", "float", "double", "decimal")


def _is_time(kind: object) -> bool:
    return str(kind) in ("date", "timestamp", "timestamptz", "timestamp_ns", "timestamptz_ns")
