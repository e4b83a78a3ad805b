"""`forecast(lh, config)`: read a table through the engine, forecast every series, and write
`analytics.forecast_<name>` and `analytics.forecast_<name>_metrics` tagged with the snapshot
ids read."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field

import pyarrow as pa
import sqlglot
from sqlglot import exp

from lakebox.analysis.forecast import core, series, writer
from lakebox.analysis.forecast.tables import FORECAST_PROPERTY, STRATEGY_PROPERTY, table_refs
from lakebox.catalog import TableRef
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.config.forecasts import ForecastConfig
from lakebox.errors import AnalysisError, QueryError
from lakebox.ground.clock import new_batch_id, now
from lakebox.ground.reporter import NULL_REPORTER, Reporter
from lakebox.ground.sql import quote_identifier
from lakebox.lakehouse import Lakehouse

logger = logging.getLogger(__name__)
INPUTS_PROPERTY = "lakebox.inputs"  # the same key the model builder records its inputs under


@dataclass
class SeriesSummary:
    """One series in a report: its ids, the model chosen and that model's backtest scores."""

    ids: dict[str, object]
    model: str
    smape: float
    mase: float
    windows: int
    notes: list[str] = field(default_factory=list)


@dataclass
class ForecastReport:
    """What a forecast did: the tables written, what it read, how it chose, per series."""

    name: str
    table: str
    metrics_table: str
    inputs: dict[str, int | None]
    snapshot_id: int | None
    rows: int
    strategy: str
    strategy_scores: dict[str, float]
    seconds: float
    series: list[SeriesSummary]
    horizon_label: str = ""  # the horizon in words, e.g. "12 months"


def forecast(
    lh: Lakehouse, config: ForecastConfig, reporter: Reporter = NULL_REPORTER
) -> ForecastReport:
    """Forecast every series of `config`'s table and replace its two analytics tables."""
    if config.name is None:
        raise AnalysisError("a forecast needs a name, e.g. ForecastConfig(name='sales', …)")
    started = time.monotonic()
    inputs = _input_snapshots(lh, config)
    data = _read(lh, config)
    found = series.from_arrow(data, config)
    outcome = core.forecast_series(found, config, reporter)
    created_at = now()
    id_types = [data.schema.field(name).type for name in config.ids]
    forecasts = writer.forecast_table(
        outcome, config, id_types, data.schema.field(config.time).type, created_at
    )
    metrics = writer.metrics_table(outcome, config, id_types, created_at)
    run_id = new_batch_id(created_at)
    properties = {
        INPUTS_PROPERTY: json.dumps(inputs, sort_keys=True),
        FORECAST_PROPERTY: config.name,
        STRATEGY_PROPERTY: outcome.strategy,
    }
    table_ref, metrics_ref = table_refs(config.name)
    snapshot_id = writer.write(lh, table_ref, forecasts, run_id, properties)
    writer.write(lh, metrics_ref, metrics, run_id, properties)
    logger.info("forecast %s: %d series into %s", config.name, len(found), table_ref.identifier)
    return ForecastReport(
        config.name,
        table_ref.identifier,
        metrics_ref.identifier,
        inputs,
        snapshot_id,
        forecasts.num_rows,
        outcome.strategy,
        outcome.strategy_scores,
        time.monotonic() - started,
        [_summary(one, config) for one in outcome.forecasts],
        config.horizon_words,
    )


def forecast_declared(
    lh: Lakehouse, names: list[str] | None = None, reporter: Reporter = NULL_REPORTER
) -> list[ForecastReport]:
    """Run the forecasts declared under `forecasts:` in lakebox.yaml (only `names`, if given)."""
    declared = lh.config.forecasts
    unknown = sorted(set(names or ()) - set(declared))
    if unknown:
        raise AnalysisError(
            f"no forecast named {unknown[0]!r} in lakebox.yaml (declared: "
            f"{', '.join(sorted(declared)) or 'none'})",
            hint="declare it under 'forecasts:' (docs/forecasting.md) or pass --table",
        )
    chosen = names if names is not None else sorted(declared)
    return [forecast(lh, declared[name].named(name), reporter) for name in chosen]


def is_stale(lh: Lakehouse, config: ForecastConfig) -> bool:
    """Return whether `config`'s forecast is missing or was made from other snapshots of its
    inputs than the current ones (a forecast of unchanged data need not be made again)."""
    table = lh.catalog.load(table_refs(config.name or "")[0])
    snapshot = table.current_snapshot() if table is not None else None
    if snapshot is None:
        return True
    recorded = snapshot_properties(snapshot).get(INPUTS_PROPERTY)
    return recorded != json.dumps(_input_snapshots(lh, config), sort_keys=True)


def _read(lh: Lakehouse, config: ForecastConfig) -> pa.Table:
    if config.table is not None:
        zone, _, name = config.table.partition(".")
        sql = f"SELECT * FROM {quote_identifier(zone)}.{quote_identifier(name)}"
    else:
        sql = config.sql or ""
    try:
        return lh.query(sql)
    except QueryError as error:
        raise AnalysisError(
            f"forecast {config.name!r} cannot read {config.source}: {error}",
            hint="check the table with 'lakebox tables' or run the query with 'lakebox query'",
            table=config.table,
        ) from error


def _input_snapshots(lh: Lakehouse, config: ForecastConfig) -> dict[str, int | None]:
    """Return the current snapshot id of every table the forecast reads."""
    refs = [TableRef(*config.table.split(".", 1))] if config.table else _references(config)
    snapshots = {}
    for ref in refs:
        if lh.catalog.load(ref) is None and config.table is not None:
            raise AnalysisError(
                f"forecast {config.name!r}: no table {ref.identifier!r}",
                hint="list the tables with 'lakebox tables'; build models with 'lakebox run'",
                table=ref.identifier,
            )
        snapshots[ref.identifier] = lh.catalog.summary(ref)["snapshot_id"]
    return snapshots


def _references(config: ForecastConfig) -> list[TableRef]:
    """Return the zone tables a forecast's query names (unqualified ones are exploitation's)."""
    try:
        parsed = sqlglot.parse_one(config.sql or "", read="duckdb")
    except sqlglot.errors.ParseError as error:
        raise AnalysisError(f"forecast {config.name!r}: cannot parse its sql: {error}") from error
    local = {cte.alias_or_name for cte in parsed.find_all(exp.CTE)}
    found = {
        TableRef((table.db or "exploitation").lower(), table.name.lower())
        for table in parsed.find_all(exp.Table)
        if table.name and table.name not in local
    }
    return sorted(found, key=lambda ref: ref.identifier)


def _summary(one: core.SeriesForecast, config: ForecastConfig) -> SeriesSummary:
    chosen = next(score for score in one.scores if score.chosen)
    return SeriesSummary(
        dict(zip(config.ids, one.series.key, strict=True)),
        one.model,
        chosen.smape,
        chosen.mase,
        one.plan.windows,
        [*one.plan.notes, *one.series.notes],
    )
