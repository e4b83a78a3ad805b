"""The `streams:` section: event streams on the hot path, each with its intake, fields, key,
event time, windows, moving averages, alert rules, scoring and flush interval."""

from __future__ import annotations

import re
from typing import Literal, NoReturn

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from lakebox.config.base import IDENTIFIER, Strict, identifiers
from lakebox.config.column_types import canonical
from lakebox.config.columns import ColumnConfig
from lakebox.config.durations import duration_seconds
from lakebox.config.sizes import size_bytes
from lakebox.config.sources import SourceConfig
from lakebox.errors import ConfigError

AGGREGATES = ("count", "sum", "mean", "min", "max", "stddev", "last")
STREAM_TYPES = ("VARCHAR", "BIGINT", "INTEGER", "DOUBLE", "FLOAT", "BOOLEAN", "TIMESTAMPTZ")
NUMERIC_TYPES = ("BIGINT", "INTEGER", "DOUBLE", "FLOAT")
SCORE_COLUMNS = ("score", "anomaly_score")
WINDOW_COLUMNS = ("window_start", "window_end", "events_count")
_WINDOW_NAME = re.compile(r"[a-z0-9_]+")
Aggregate = Literal["count", "sum", "mean", "min", "max", "stddev", "last"]


def _positive_duration(value: float | str, what: str) -> float | str:
    if duration_seconds(value) <= 0:
        raise ValueError(f"{what} {value!r} must be longer than zero")
    return value


def _refuse(location: tuple[str, ...], message: str, value: object) -> NoReturn:
    """Raise a validation error at `location` in the stream, so the error names the line
    of the key at fault rather than the stream's."""
    error = PydanticCustomError("value_error", "Value error, {message}", {"message": message})
    details = InitErrorDetails(type=error, loc=location, input=value)
    raise ValidationError.from_exception_data("StreamConfig", [details])


class IntakeConfig(Strict):
    """Where a stream's events come from: the HTTP intake of `lakebox serve`, Kafka or MQTT."""

    kind: Literal["http", "kafka", "mqtt"] = "http"
    brokers: str | None = None  # kafka: bootstrap servers, host:port[,host:port]
    topics: list[str] = Field(default_factory=list)  # kafka topics; mqtt topic filters
    group: str | None = None  # kafka consumer group (default lakebox-<stream>)
    url: str | None = None  # mqtt: mqtt://host:port
    key_level: int | None = Field(default=None, ge=0)  # mqtt: topic level that holds the key
    qos: int = Field(default=1, ge=0, le=2)  # mqtt
    options: dict[str, str | int | float | bool] = Field(default_factory=dict)  # client settings
    max_backlog: int | str = "1GiB"  # http, mqtt: the most the write-ahead log holds

    @field_validator("max_backlog")
    @classmethod
    def _a_size(cls, value: int | str) -> int | str:
        if size_bytes(value) <= 0:
            raise ValueError(f"max_backlog {value!r} must be a size like '1GiB'")
        return value

    @property
    def backlog_bytes(self) -> int:
        """Return `max_backlog` in bytes."""
        return size_bytes(self.max_backlog)

    @model_validator(mode="after")
    def _complete(self) -> IntakeConfig:
        if self.kind == "kafka" and not (self.brokers and self.topics):
            raise ValueError("a kafka intake needs 'brokers' (host:port) and 'topics'")
        if self.kind == "mqtt" and not (self.url and self.topics):
            raise ValueError("an mqtt intake needs 'url' (mqtt://host:port) and 'topics'")
        return self


class WindowConfig(Strict):
    """A window: tumbling (`size`), hopping (`size` and `every`) or session (`gap`), and the
    aggregates of each field computed in it."""

    size: float | str | None = None
    every: float | str | None = None
    gap: float | str | None = None
    aggregates: dict[str, list[Aggregate]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_shape(self) -> WindowConfig:
        if (self.size is None) == (self.gap is None):
            raise ValueError("a window has either 'size' (tumbling or hopping) or 'gap' (session)")
        for key in ("size", "every", "gap"):
            if getattr(self, key) is not None:
                _positive_duration(getattr(self, key), key)
        if self.every is not None:
            if self.size is None:
                raise ValueError("'every' goes with 'size' (a hopping window)")
            size, every = _micros(self.size), _micros(self.every)
            if every > size or size % every:
                raise ValueError(f"size {self.size!r} must be a whole multiple of every")
        for name, aggregates in self.aggregates.items():
            for aggregate in dict.fromkeys(aggregates):
                if aggregates.count(aggregate) > 1:
                    _refuse(("aggregates", name), f"{aggregate!r} is given twice", aggregates)
        return self

    @property
    def kind(self) -> str:
        """Return tumbling, hopping or session."""
        if self.gap is not None:
            return "session"
        return "hopping" if self.every is not None else "tumbling"

    def columns(self) -> list[str]:
        """Return the aggregate columns, `<field>_<aggregate>`, in declared order."""
        return [f"{field}_{agg}" for field, aggs in self.aggregates.items() for agg in aggs]


class AverageConfig(Strict):
    """A moving average of a window's column per key: simple over the last `over` windows,
    or exponential with a `half_life`."""

    window: str
    of: str
    over: int | None = Field(default=None, ge=1)
    half_life: float | str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> AverageConfig:
        if (self.over is None) == (self.half_life is None):
            raise ValueError("a moving average has either 'over' (windows) or 'half_life'")
        if self.half_life is not None:
            _positive_duration(self.half_life, "half_life")
        return self


class RuleConfig(Strict):
    """An alert rule. threshold: a field above/below a value; rate: the field's change per
    second above/below a value (`below: 0`: a value that does not change); each held for
    `events` consecutive readings or for a `duration`. zscore: a window's column this many
    deviations from the key's moving average. A score column is a field like any other."""

    kind: Literal["threshold", "rate", "zscore"] = "threshold"
    field: str | None = None
    window: str | None = None  # zscore
    of: str | None = None  # zscore: the window's column
    average: str | None = None  # zscore: the moving average compared with
    above: float | None = None
    below: float | None = None
    events: int | None = Field(default=None, ge=1)
    duration: float | str | None = None
    severity: Literal["info", "warn", "critical"] = "warn"

    @model_validator(mode="after")
    def _complete(self) -> RuleConfig:
        if (self.above is None) == (self.below is None):
            raise ValueError("an alert rule has one of 'above' or 'below'")
        if self.kind == "zscore":
            if not (self.window and self.of and self.average):
                raise ValueError("a zscore rule needs 'window', 'of' and 'average'")
        elif not self.field:
            raise ValueError(f"a {self.kind} rule needs 'field'")
        if self.duration is not None:
            _positive_duration(self.duration, "duration")
            if self.events is not None:
                raise ValueError("use one of 'events' and 'duration', not both")
        return self

    @property
    def readings(self) -> int:
        """Return how many consecutive readings must hold (1 when held for a duration)."""
        return self.events or 1

    def holds(self, value: float) -> bool:
        """Return whether `value` meets the rule's condition."""
        if self.above is not None:
            return value > self.above
        return value <= self.below if self.kind == "rate" else value < self.below  # type: ignore[operator]


class ScoreConfig(Strict):
    """Score each event with the production version of a registered model (column `score`)."""

    model: str


class AnomalyConfig(Strict):
    """An online anomaly detector learned on the stream as it runs (column `anomaly_score`)."""

    fields: list[str]
    limits: dict[str, tuple[float, float]] = Field(default_factory=dict)
    trees: int = Field(default=10, ge=1, le=200)
    height: int = Field(default=8, ge=2, le=20)
    window_size: int = Field(default=250, ge=10)
    seed: int = 42


class StreamConfig(Strict):
    """One stream on the hot path."""

    intake: IntakeConfig = Field(default_factory=IntakeConfig)
    key: str
    time: str
    fields: dict[str, str]
    lateness: float | str = 0
    flush: float | str = "5s"
    windows: dict[str, WindowConfig] = Field(default_factory=dict)
    averages: dict[str, AverageConfig] = Field(default_factory=dict)
    alerts: dict[str, RuleConfig] = Field(default_factory=dict)
    score: ScoreConfig | None = None
    anomaly: AnomalyConfig | None = None
    max_event_bytes: int = Field(default=1024 * 1024, ge=64)
    batch_events: int = Field(default=10_000, ge=1)

    @field_validator("fields")
    @classmethod
    def _typed_fields(cls, fields: dict[str, str]) -> dict[str, str]:
        if not fields:
            raise ValueError("a stream declares its fields and their types")
        typed = {}
        for name, type_name in fields.items():
            _check_field_name(name)
            try:
                kind = canonical(str(type_name))
            except ConfigError:
                kind = str(type_name)
            kind = "TIMESTAMPTZ" if kind == "TIMESTAMP" else kind
            if kind not in STREAM_TYPES:
                raise ValueError(f"field {name}: type {type_name!r} is not one of {STREAM_TYPES}")
            typed[name] = kind
        return typed

    @field_validator("lateness")
    @classmethod
    def _lateness(cls, value: float | str) -> float | str:
        if duration_seconds(value) < 0:
            raise ValueError(f"lateness {value!r} cannot be negative")
        return value

    @field_validator("flush")
    @classmethod
    def _flush(cls, value: float | str) -> float | str:
        return _positive_duration(value, "flush")

    @field_validator("windows")
    @classmethod
    def _window_names(cls, windows: dict[str, WindowConfig]) -> dict[str, WindowConfig]:
        for name in windows:
            if not _WINDOW_NAME.fullmatch(name):
                raise ValueError(f"window name {name!r} must be lower-case letters, digits and _")
        return windows

    @field_validator("averages", "alerts")
    @classmethod
    def _names(cls, named: dict[str, object]) -> dict[str, object]:
        return identifiers(named, "name")

    @model_validator(mode="after")
    def _references(self) -> StreamConfig:
        for role, name in (("key", self.key), ("time", self.time)):
            if name not in self.fields:
                _refuse((role,), f"{role} {name!r} is not one of the fields", name)
        if self.fields[self.time] != "TIMESTAMPTZ":
            _refuse(("time",), f"time field {self.time!r} must be TIMESTAMPTZ", self.time)
        self._check_windows()
        self._check_averages()
        self._check_rules()
        if self.anomaly:
            for name in self.anomaly.fields:
                self._numeric(name, "anomaly field", ("anomaly", "fields"))
            for name, (low, high) in self.anomaly.limits.items():
                if name not in self.anomaly.fields or not low < high:
                    message = "must be [low, high] of an anomaly field"
                    _refuse(("anomaly", "limits", name), message, [low, high])
        return self

    def _check_windows(self) -> None:
        for window_name, window in self.windows.items():
            for name, aggregates in window.aggregates.items():
                where = ("windows", window_name, "aggregates", name)
                if not {"count", "last"}.issuperset(aggregates):
                    self._numeric(name, "field", where)
                elif name not in self.value_fields:
                    _refuse(where, f"{name!r} is not a field", name)
                for column in (f"{name}_{aggregate}" for aggregate in aggregates):
                    if column in (self.key, *WINDOW_COLUMNS):
                        _refuse(where, f"{column!r} is a column of every window; rename", name)

    def _check_averages(self) -> None:
        for name, average in self.averages.items():
            window = self.windows.get(average.window)
            if window is None:
                _refuse(("averages", name, "window"), f"no window {average.window!r}", name)
            if window.kind == "session":
                message = "a moving average needs a sized window"
                _refuse(("averages", name, "window"), message, average.window)
            if average.of not in window.columns():
                message = (
                    f"{average.of!r} is not a column of window {average.window} "
                    f"({', '.join(window.columns()) or 'none'})"
                )
                _refuse(("averages", name, "of"), message, average.of)
            if name in (self.key, *WINDOW_COLUMNS, *window.columns()):
                message = f"window {average.window} has a column {name!r} already; rename"
                _refuse(("averages", name), message, name)

    def _check_rules(self) -> None:
        for name, rule in self.alerts.items():
            if rule.kind != "zscore":
                self._numeric(str(rule.field), "field", ("alerts", name, "field"))
                continue
            average = self.averages.get(str(rule.average))
            if average is None or average.window != rule.window or average.over is None:
                message = (
                    f"'average' must name a simple moving average (over) of window {rule.window!r}"
                )
                _refuse(("alerts", name, "average"), message, rule.average)
            if rule.of not in self.windows[str(rule.window)].columns():
                message = f"{rule.of!r} is not a column of {rule.window}"
                _refuse(("alerts", name, "of"), message, rule.of)

    def _numeric(self, name: str, what: str, where: tuple[str, ...]) -> None:
        kind = self.value_fields.get(name)
        if kind is None:
            _refuse(where, f"{what} {name!r} is not a field", name)
        if kind not in NUMERIC_TYPES:
            _refuse(where, f"{what} {name!r} is {kind}, not a number", name)

    @property
    def value_fields(self) -> dict[str, str]:
        """Return the fields plus the score columns the stream computes, with their types."""
        extra = {"score": "DOUBLE"} if self.score else {}
        extra |= {"anomaly_score": "DOUBLE"} if self.anomaly else {}
        return {**self.fields, **extra}

    @property
    def lateness_seconds(self) -> float:
        """Return the allowed lateness in seconds."""
        return duration_seconds(self.lateness)

    @property
    def flush_seconds(self) -> float:
        """Return the flush interval in seconds."""
        return duration_seconds(self.flush)


def _check_field_name(name: str) -> None:
    if name.startswith("_"):
        raise ValueError(f"field name {name!r} must not start with _ (lakebox's own columns do)")
    if name in SCORE_COLUMNS:
        raise ValueError(f"field name {name!r} is the column of the stream's {name}; rename it")
    if not IDENTIFIER.fullmatch(name):
        raise ValueError(f"field name {name!r} must be a lower-case identifier")


def _micros(duration: float | str) -> int:
    return round(duration_seconds(duration) * 1_000_000)


def stream_source(name: str, stream: StreamConfig) -> SourceConfig:
    """Return the source the format step reads a stream's landed events with: NDJSON, the
    declared fields typed, the key and time required, no text taken for a null."""
    columns = {
        field: ColumnConfig(type=kind, required=field in (stream.key, stream.time))
        for field, kind in stream.fields.items()
    }
    return SourceConfig(
        kind="files",
        path=f"stream:{name}",
        format="ndjson",
        columns=columns,
        null_tokens=[],
        keep_duplicates=True,
        description=f"events of stream {name}, landed by its flushes",
    )
