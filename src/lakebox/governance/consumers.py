"""What lakebox.yaml and the model headers declare that reads columns, as consumers of the
lineage graph: checks (`check:<zone.table>/<check>`), forecasts (`forecast:<name>`), anomaly
rules (`anomaly:<name>`), the models of the registry (`trained:<name>`, see
`governance.trained`) and the streams' alert rules (`alert:<stream>/<rule>`).

A consumer reads the columns it names; one whose SQL says what it reads (a custom check, a
forecast's query, a rule's `where`) is traced; one that names no column reads the table."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlglot import exp

from lakebox.analysis.anomalies.runner import FORECAST_COLUMNS
from lakebox.catalog import TableRef
from lakebox.config import CheckConfig
from lakebox.config.anomalies import AnomalyRuleConfig
from lakebox.config.forecasts import ForecastConfig
from lakebox.config.streams import RuleConfig, StreamConfig
from lakebox.errors import LakeboxError
from lakebox.exploitation.declared import declared_checks
from lakebox.exploitation.lineage import Resolver, Schema, columns_read
from lakebox.governance.graph import Consumer, Graph
from lakebox.governance.lineage import landing_ref
from lakebox.governance.trained import trained_consumers
from lakebox.lakehouse import Lakehouse
from lakebox.quality.checks import check_name
from lakebox.stream.tables import window_ref

Read = tuple[TableRef, str]
WHOLE = ""  # reads the whole table


def config_consumers(lh: Lakehouse, graph: Graph) -> list[Consumer]:
    """Return a consumer per check, forecast, anomaly rule, registered model and stream alert
    rule of `lh`'s project; SQL is traced against the columns of `graph`'s tables."""
    schema = graph.schema()
    config = lh.config
    return [
        *check_consumers(declared_checks(lh), schema),
        *(forecast_consumer(name, f, schema) for name, f in config.forecasts.items()),
        *(anomaly_consumer(name, rule, schema) for name, rule in config.anomalies.items()),
        *trained_consumers(lh, schema),
        *(alert for name, s in config.streams.items() for alert in alert_consumers(name, s)),
    ]


def check_consumers(checks: dict[TableRef, list[CheckConfig]], schema: Schema) -> list[Consumer]:
    """Return a consumer per check of each table (checks of the same name are one)."""
    found: dict[str, Consumer] = {}
    for ref, declared in checks.items():
        for check in declared:
            name = check_name(check)
            consumer = Consumer(
                f"check:{ref.identifier}/{name}",
                "check",
                name,
                _reads(check_reads(ref, check, schema)),
            )
            found[consumer.id] = _joined(found.get(consumer.id), consumer)
    return list(found.values())


def check_reads(ref: TableRef, check: CheckConfig, schema: Schema) -> list[Read]:
    """Return what one check of table `ref` reads."""
    if check.sql is not None:
        return _traced(check.sql.replace("{table}", ref.identifier), schema) or [(ref, WHOLE)]
    if check.relationships is not None:
        spec = check.relationships
        return [(ref, spec.column), (TableRef.of(spec.to), spec.field)]
    spec = getattr(check, check.kind)
    if isinstance(spec, list):
        return [(ref, column) for column in spec]
    column = getattr(spec, "column", None)
    return [(ref, column or WHOLE)]


def forecast_consumer(name: str, forecast: ForecastConfig, schema: Schema) -> Consumer:
    """Return the consumer of a forecast: its table's id, time and value columns, or what its
    query reads."""
    if forecast.table is not None:
        ref = TableRef.of(forecast.table)
        reads = [(ref, column) for column in (*forecast.ids, forecast.time, forecast.value)]
    else:
        reads = _traced(forecast.sql or "", schema)
    return Consumer(f"forecast:{name}", "forecast", name, _reads(reads))


def anomaly_consumer(name: str, rule: AnomalyRuleConfig, schema: Schema) -> Consumer:
    """Return the consumer of an anomaly rule: its table's ids, time and value (and what its
    `where` and opening hours read), the forecast it compares with, its hours table."""
    ref = TableRef.of(rule.table)
    reads = [(ref, column) for column in (*rule.ids, rule.time, rule.value)]
    for condition in _conditions(rule):
        reads += _traced(f"SELECT 1 AS _ FROM {ref.identifier} WHERE ({condition})", schema)
    if rule.outside_forecast is not None:
        spec = rule.outside_forecast
        columns = (*rule.ids, spec.forecast_time, *FORECAST_COLUMNS)
        reads += [(TableRef.of(spec.forecast), column) for column in columns]
    hours = rule.failed_sensor.hours_table if rule.failed_sensor is not None else None
    if hours is not None:
        columns = (*hours.on, hours.weekday, hours.opens, hours.closes)
        reads += [(TableRef.of(hours.table), column) for column in columns]
    return Consumer(f"anomaly:{name}", "anomaly", rule.description or name, _reads(reads))


def _conditions(rule: AnomalyRuleConfig) -> Iterator[str]:
    if rule.where:
        yield rule.where
    if rule.failed_sensor is not None and rule.failed_sensor.open_when:
        yield rule.failed_sensor.open_when


def alert_consumers(name: str, stream: StreamConfig) -> list[Consumer]:
    """Return a consumer per alert rule of stream `name`: the field it watches as landed, or
    (a zscore rule) the window column and moving average it compares."""
    return [
        Consumer(
            f"alert:{name}/{rule_name}",
            "alert",
            rule_name,
            _reads(_alert_reads(name, stream, rule)),
        )
        for rule_name, rule in stream.alerts.items()
    ]


def _alert_reads(name: str, stream: StreamConfig, rule: RuleConfig) -> list[Read]:
    if rule.kind == "zscore":
        table = window_ref(name, str(rule.window))
        return [(table, str(rule.of)), (table, str(rule.average))]
    field = str(rule.field)
    if field in stream.fields:
        return [(landing_ref(name), field)]
    watched = stream.anomaly.fields if field == "anomaly_score" and stream.anomaly else []
    return [(landing_ref(name), column) for column in watched] or [(landing_ref(name), WHOLE)]


def _traced(sql: str, schema: Schema) -> list[Read]:
    """Return the columns `sql` reads (none when it cannot be followed)."""
    try:
        return sorted(columns_read(sql, schema, resolver(schema)), key=read_key)
    except (LakeboxError, RecursionError):  # SQL nested too deeply to follow
        return []


def resolver(schema: Schema) -> Resolver:
    """Return a resolver of the tables SQL names: `zone.table`, or a bare name of a table of
    the exploitation zone."""

    def resolve(table: exp.Table) -> TableRef | None:
        if table.db:
            return TableRef(table.db.lower(), table.name.lower())
        ref = TableRef("exploitation", table.name.lower())
        return ref if ref in schema else None

    return resolve


def _reads(reads: Iterable[Read]) -> tuple[Read, ...]:
    return tuple(dict.fromkeys(reads))


def _joined(first: Consumer | None, second: Consumer) -> Consumer:
    if first is None:
        return second
    return Consumer(first.id, first.kind, first.label, _reads((*first.reads, *second.reads)))


def read_key(read: Read) -> tuple[str, str]:
    """Return the sort key of a read: its table's identifier, then its column."""
    return read[0].identifier, read[1]
