"""The `streams:` section of lakebox.yaml: defaults, every key validated, and errors that
name the file and the line at fault (the key itself, also for references between keys)."""

from __future__ import annotations

import pytest

from lakebox import config
from lakebox.config.streams import stream_source
from lakebox.errors import ConfigError

HEAD = """name: plant
streams:
  air:
    key: device_id
    time: ts
    fields: {device_id: VARCHAR, ts: TIMESTAMPTZ, pm25: DOUBLE, co2: BIGINT, ok: BOOLEAN}
"""
WINDOW = "    windows:\n      m1: {size: 1m, aggregates: {pm25: [mean, max]}}\n"
AVERAGE = WINDOW + "    averages:\n      ma: {window: m1, of: pm25_mean, over: 3}\n"


def refused(text: str) -> str:
    """Return the message of the ConfigError `text` raises."""
    with pytest.raises(ConfigError) as caught:
        config.parse(text, "p/lakebox.yaml")
    return str(caught.value)


def test_a_stream_gets_its_defaults():
    stream = config.parse(HEAD).streams["air"]
    assert stream.intake.kind == "http" and stream.intake.qos == 1
    assert (stream.lateness_seconds, stream.flush_seconds) == (0.0, 5.0)
    assert (stream.max_event_bytes, stream.batch_events) == (1024 * 1024, 10_000)
    assert stream.windows == {} and stream.averages == {} and stream.alerts == {}
    assert stream.score is None and stream.anomaly is None
    assert stream.fields == {
        "device_id": "VARCHAR",
        "ts": "TIMESTAMPTZ",
        "pm25": "DOUBLE",
        "co2": "BIGINT",
        "ok": "BOOLEAN",
    }


def test_the_full_example_of_the_design_is_valid():
    text = HEAD + (
        "    intake: {kind: kafka, brokers: '127.0.0.1:9092', topics: [aq], group: g}\n"
        "    lateness: 30s\n"
        "    flush: 0.5\n"
        "    windows:\n"
        "      1m: {size: 1m, aggregates: {pm25: [count, sum, mean, min, max, stddev, last]}}\n"
        "      5m: {size: 5m, every: 1m, aggregates: {pm25: [mean], ok: [count, last]}}\n"
        "      visit: {gap: 10m, aggregates: {pm25: [max]}}\n"
        "    averages:\n"
        "      pm25_ma15: {window: 1m, of: pm25_mean, over: 15}\n"
        "      pm25_ewm: {window: 1m, of: pm25_mean, half_life: 10m}\n"
        "    alerts:\n"
        "      pm25_high: {kind: threshold, field: pm25, above: 35, events: 3, severity: warn}\n"
        "      held: {field: co2, above: 1000, duration: 5m, severity: critical}\n"
        "      stuck: {kind: rate, field: pm25, below: 0, events: 20}\n"
        "      drift: {kind: zscore, window: 1m, of: pm25_mean, average: pm25_ma15, above: 3}\n"
        "      novel: {field: anomaly_score, above: 0.9, events: 1}\n"
        "    anomaly: {fields: [pm25, co2], trees: 5}\n"
    )
    stream = config.parse(text).streams["air"]
    assert [w.kind for w in stream.windows.values()] == ["tumbling", "hopping", "session"]
    assert stream.windows["1m"].columns()[:2] == ["pm25_count", "pm25_sum"]
    assert (stream.lateness_seconds, stream.flush_seconds) == (30.0, 0.5)
    assert stream.alerts["held"].duration == "5m" and stream.alerts["held"].readings == 1
    assert stream.value_fields["anomaly_score"] == "DOUBLE"


def test_a_hopping_window_of_fractional_seconds_is_a_whole_multiple():
    stream = config.parse(HEAD + "    windows:\n      w: {size: 0.3, every: 0.1}\n").streams["air"]
    assert stream.windows["w"].kind == "hopping"


def test_types_are_canonical_and_a_timestamp_is_utc():
    text = HEAD.replace("pm25: DOUBLE", "pm25: float8").replace("ts: TIMESTAMPTZ", "ts: timestamp")
    stream = config.parse(text).streams["air"]
    assert stream.fields["ts"] == "TIMESTAMPTZ" and stream.fields["pm25"] == "DOUBLE"


@pytest.mark.parametrize(
    ("tail", "line", "where", "message"),
    [
        ("    lateness: -5\n", 7, "streams.air.lateness", "cannot be negative"),
        ("    lateness: later\n", 7, "streams.air.lateness", "'later' is not a duration"),
        ("    flush: 0\n", 7, "streams.air.flush", "must be longer than zero"),
        ("    colour: red\n", 7, "streams.air.colour", "unknown key 'colour'"),
        ("    max_event_bytes: 10\n", 7, "streams.air.max_event_bytes", "greater than or equal"),
        ("    batch_events: 0\n", 7, "streams.air.batch_events", "greater than or equal to 1"),
        ("    intake: {kind: pigeon}\n", 7, "streams.air.intake.kind", "'http', 'kafka' or"),
        ("    intake: {kind: kafka}\n", 7, "streams.air.intake", "needs 'brokers'"),
        ("    intake: {kind: mqtt, url: 'mqtt://h:1'}\n", 7, "streams.air.intake", "'topics'"),
        (
            "    intake: {kind: mqtt, url: 'mqtt://h:1', topics: [a], qos: 3}\n",
            7,
            "streams.air.intake.qos",
            "less than or equal to 2",
        ),
        ("    intake: {kind: http, port: 1}\n", 7, "streams.air.intake.port", "unknown key"),
        ("    score: {}\n", 7, "streams.air.score", "missing required key 'model'"),
        ("    anomaly: {fields: [pm25], trees: 0}\n", 7, "streams.air.anomaly.trees", "greater"),
        ("    anomaly: {fields: [ok]}\n", 7, "streams.air.anomaly.fields", "BOOLEAN, not a"),
        ("    anomaly: {fields: [nope]}\n", 7, "streams.air.anomaly.fields", "'nope' is not a"),
    ],
)
def test_stream_keys_are_validated_on_their_line(tail, line, where, message):
    text = refused(HEAD + tail)
    assert text.startswith(f"p/lakebox.yaml:{line}: {where}: "), text
    assert message in text


@pytest.mark.parametrize(
    ("tail", "line", "where", "message"),
    [
        (
            "    windows:\n      m1: {size: 1m, aggregates: {pm25: [median]}}\n",
            8,
            "streams.air.windows.m1.aggregates.pm25.0",
            "'count', 'sum', 'mean', 'min', 'max', 'stddev' or 'last'",
        ),
        ("    windows:\n      m1: {size: 1m, every: 40s}\n", 8, "streams.air.windows.m1", "whole"),
        ("    windows:\n      m1: {size: 1m, gap: 4s}\n", 8, "streams.air.windows.m1", "either"),
        ("    windows:\n      m1: {aggregates: {}}\n", 8, "streams.air.windows.m1", "'size'"),
        ("    windows:\n      m1: {gap: 1m, every: 1s}\n", 8, "streams.air.windows.m1", "'every'"),
        ("    windows:\n      m1: {size: 0}\n", 8, "streams.air.windows.m1", "longer than zero"),
        ("    windows:\n      m1: {size: soon}\n", 8, "streams.air.windows.m1", "not a duration"),
        ("    windows:\n      M1: {size: 1m}\n", 7, "streams.air.windows", "window name 'M1'"),
        (
            "    windows:\n      m1:\n        size: 1m\n        aggregates: {ok: [mean]}\n",
            10,
            "streams.air.windows.m1.aggregates.ok",
            "field 'ok' is BOOLEAN, not a number",
        ),
        (
            "    windows:\n      m1:\n        size: 1m\n        aggregates:\n"
            "          nope: [count]\n",
            11,
            "streams.air.windows.m1.aggregates.nope",
            "'nope' is not a field",
        ),
        (
            "    windows:\n      m1: {size: 1m, aggregates: {pm25: [max, max]}}\n",
            8,
            "streams.air.windows.m1.aggregates.pm25",
            "'max' is given twice",
        ),
    ],
)
def test_windows_are_validated_on_their_line(tail, line, where, message):
    text = refused(HEAD + tail)
    assert text.startswith(f"p/lakebox.yaml:{line}: {where}: "), text
    assert message in text


@pytest.mark.parametrize(
    ("tail", "line", "where", "message"),
    [
        (
            WINDOW + "    averages:\n      ma: {window: m2, of: pm25_mean, over: 3}\n",
            10,
            "streams.air.averages.ma.window",
            "no window 'm2'",
        ),
        (
            WINDOW + "    averages:\n      ma:\n        window: m1\n        of: pm25_min\n"
            "        over: 3\n",
            12,
            "streams.air.averages.ma.of",
            "'pm25_min' is not a column of window m1 (pm25_mean, pm25_max)",
        ),
        (
            WINDOW + "    averages:\n      ma: {window: m1, of: pm25_mean}\n",
            10,
            "streams.air.averages.ma",
            "either 'over' (windows) or 'half_life'",
        ),
        (
            WINDOW + "    averages:\n      ma: {window: m1, of: pm25_mean, over: 0}\n",
            10,
            "streams.air.averages.ma.over",
            "greater than or equal to 1",
        ),
        (
            WINDOW + "    averages:\n      ma: {window: m1, of: pm25_mean, half_life: -1}\n",
            10,
            "streams.air.averages.ma",
            "longer than zero",
        ),
        (
            "    windows:\n      s: {gap: 1m, aggregates: {pm25: [mean]}}\n"
            "    averages:\n      ma: {window: s, of: pm25_mean, over: 3}\n",
            10,
            "streams.air.averages.ma.window",
            "a moving average needs a sized window",
        ),
        (
            WINDOW + "    averages:\n      pm25_max: {window: m1, of: pm25_mean, over: 3}\n",
            10,
            "streams.air.averages.pm25_max",
            "window m1 has a column 'pm25_max' already",
        ),
        (
            WINDOW + "    averages:\n      Ma: {window: m1, of: pm25_mean, over: 3}\n",
            9,
            "streams.air.averages",
            "name 'Ma' must be lower-case",
        ),
    ],
)
def test_averages_are_validated_on_their_line(tail, line, where, message):
    text = refused(HEAD + tail)
    assert text.startswith(f"p/lakebox.yaml:{line}: {where}: "), text
    assert message in text


@pytest.mark.parametrize(
    ("tail", "line", "where", "message"),
    [
        ("    alerts:\n      hot: {field: pm25}\n", 8, "streams.air.alerts.hot", "one of 'above'"),
        (
            "    alerts:\n      hot: {field: pm25, above: 1, below: 0}\n",
            8,
            "streams.air.alerts.hot",
            "one of 'above' or 'below'",
        ),
        (
            "    alerts:\n      hot: {above: 1}\n",
            8,
            "streams.air.alerts.hot",
            "a threshold rule needs 'field'",
        ),
        (
            "    alerts:\n      hot:\n        field: nope\n        above: 1\n",
            9,
            "streams.air.alerts.hot.field",
            "field 'nope' is not a field",
        ),
        (
            "    alerts:\n      hot: {kind: rate, field: ok, below: 0}\n",
            8,
            "streams.air.alerts.hot.field",
            "field 'ok' is BOOLEAN, not a number",
        ),
        (
            "    alerts:\n      hot: {field: score, above: 0.5}\n",
            8,
            "streams.air.alerts.hot.field",
            "'score' is not a field",
        ),
        (
            "    alerts:\n      hot: {field: pm25, above: 1, events: 2, duration: 10s}\n",
            8,
            "streams.air.alerts.hot",
            "use one of 'events' and 'duration'",
        ),
        (
            "    alerts:\n      hot: {field: pm25, above: 1, duration: 0}\n",
            8,
            "streams.air.alerts.hot",
            "duration 0.0 must be longer than zero",
        ),
        (
            "    alerts:\n      hot: {field: pm25, above: 1, events: 0}\n",
            8,
            "streams.air.alerts.hot.events",
            "greater than or equal to 1",
        ),
        (
            "    alerts:\n      hot: {field: pm25, above: 1, severity: huge}\n",
            8,
            "streams.air.alerts.hot.severity",
            "'info', 'warn' or 'critical'",
        ),
        (
            "    alerts:\n      hot: {kind: spike, field: pm25, above: 1}\n",
            8,
            "streams.air.alerts.hot.kind",
            "'threshold', 'rate' or 'zscore'",
        ),
        (
            "    alerts:\n      z: {kind: zscore, above: 3}\n",
            8,
            "streams.air.alerts.z",
            "a zscore rule needs 'window', 'of' and 'average'",
        ),
        (
            AVERAGE + "    alerts:\n      z:\n        kind: zscore\n        window: m1\n"
            "        of: pm25_mean\n        average: nope\n        above: 3\n",
            16,
            "streams.air.alerts.z.average",
            "'average' must name a simple moving average (over) of window 'm1'",
        ),
        (
            WINDOW + "    averages:\n      ma: {window: m1, of: pm25_mean, half_life: 5m}\n"
            "    alerts:\n      z: {kind: zscore, window: m1, of: pm25_mean, average: ma, above: 3}"
            "\n",
            12,
            "streams.air.alerts.z.average",
            "a simple moving average",
        ),
        (
            AVERAGE + "    alerts:\n      z:\n        kind: zscore\n        window: m1\n"
            "        of: pm25_min\n        average: ma\n        above: 3\n",
            15,
            "streams.air.alerts.z.of",
            "'pm25_min' is not a column of m1",
        ),
    ],
)
def test_alert_rules_are_validated_on_their_line(tail, line, where, message):
    text = refused(HEAD + tail)
    assert text.startswith(f"p/lakebox.yaml:{line}: {where}: "), text
    assert message in text


@pytest.mark.parametrize(
    ("old", "new", "line", "where", "message"),
    [
        ("key: device_id", "key: dev", 4, "streams.air.key", "key 'dev' is not one of the fields"),
        ("time: ts", "time: at", 5, "streams.air.time", "time 'at' is not one of the fields"),
        ("time: ts", "time: pm25", 5, "streams.air.time", "'pm25' must be TIMESTAMPTZ"),
        ("    key: device_id\n", "", 3, "streams.air", "missing required key 'key'"),
        ("co2: BIGINT", "CO2: BIGINT", 6, "streams.air.fields", "'CO2' must be a lower-case"),
        ("co2: BIGINT", "_t: BIGINT", 6, "streams.air.fields", "'_t' must not start with _"),
        ("co2: BIGINT", "score: DOUBLE", 6, "streams.air.fields", "'score' is the column"),
        ("co2: BIGINT", "co2: BLOB", 6, "streams.air.fields", "field co2: type 'BLOB' is not"),
        (
            "fields: {device_id: VARCHAR, ts: TIMESTAMPTZ, pm25: DOUBLE, co2: BIGINT, ok: BOOLEAN}",
            "fields: {}",
            6,
            "streams.air.fields",
            "a stream declares its fields",
        ),
        ("  air:", "  Air:", 2, "streams", "stream name 'Air' must be lower-case"),
    ],
)
def test_the_stream_itself_is_validated_on_its_line(old, new, line, where, message):
    text = refused(HEAD.replace(old, new))
    assert text.startswith(f"p/lakebox.yaml:{line}: {where}: "), text
    assert message in text


def test_an_aggregate_named_like_a_window_column_is_refused():
    text = HEAD.replace("co2: BIGINT", "events: BIGINT")
    text += "    windows:\n      m1: {size: 1m, aggregates: {events: [count]}}\n"
    message = refused(text)
    assert message.startswith("p/lakebox.yaml:8: streams.air.windows.m1.aggregates.events: ")
    assert "'events_count' is a column of every window" in message


def test_a_stream_and_a_source_with_the_same_name_are_refused():
    text = HEAD + "sources:\n  air: {path: 'exports/*.csv'}\n"
    assert refused(text).startswith(
        "p/lakebox.yaml:1: (top level): 'air' is both a source and a stream; give them apart names"
    )


def test_the_format_step_reads_a_stream_as_typed_ndjson_with_key_and_time_required():
    project = config.parse(HEAD)
    source = project.formatted_sources["air"]
    assert source == stream_source("air", project.streams["air"])
    assert source.format == "ndjson" and source.null_tokens == []
    assert {name for name, column in source.columns.items() if column.required} == {
        "device_id",
        "ts",
    }
    assert source.columns["co2"].type == "BIGINT"


def test_a_pipeline_may_format_a_stream():
    text = HEAD + "pipelines:\n  hourly:\n    steps:\n      - format: [air]\n"
    assert "hourly" in config.parse(text).pipelines
