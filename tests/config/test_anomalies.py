"""The `anomalies:` block of lakebox.yaml: defaults, and errors that name the file and line."""

from __future__ import annotations

from importlib import resources

import pytest

from lakebox import config
from lakebox.errors import ConfigError

HEAD = """name: shop
anomalies:
  days:
    table: exploitation.store_daily
    ids: store_id
    time: local_date
    value: visitors
"""


def test_a_declaration_gets_its_defaults():
    rule = config.parse(HEAD + "    weekday_deviation: {}\n").anomalies["days"]
    assert rule.kind == "weekday_deviation" and rule.ids == ["store_id"]
    spec = rule.weekday_deviation
    assert (spec.grain, spec.weeks, spec.history, spec.warn_pct, spec.critical_pct) == (
        "day",
        4,
        4,
        30.0,
        60.0,
    )


@pytest.mark.parametrize(
    ("tail", "line", "message"),
    [
        (
            "    weekday_deviation:\n      grain: week\n",
            9,
            "anomalies.days.weekday_deviation.grain: Input should be 'day' or 'hour'",
        ),
        (
            "    weekday_deviation:\n      warn_pct: 70\n",
            8,
            "anomalies.days.weekday_deviation: thresholds must grow",
        ),
        ("    weekday_deviation: {treshold: 3}\n", 8, "unknown key 'treshold'"),
        (
            "    weekday_deviation: {}\n    failed_sensor: {}\n",
            3,
            "anomalies.days: a rule has exactly one of weekday_deviation, failed_sensor, "
            "outside_forecast (found weekday_deviation, failed_sensor)",
        ),
        (
            "    failed_sensor: {opening_hours: {opens: 21, closes: 9}}\n",
            8,
            "opens (21.0) must be before closes (9.0)",
        ),
        (
            "    outside_forecast: {forecast: forecast_sales}\n",
            8,
            "table 'forecast_sales' is not zone.table",
        ),
    ],
)
def test_errors_name_the_file_and_line(tail, line, message):
    with pytest.raises(ConfigError) as caught:
        config.parse(HEAD + tail, "project/lakebox.yaml")
    assert str(caught.value).startswith(f"project/lakebox.yaml:{line}: ")
    assert message in str(caught.value)


def test_a_bad_table_name_is_on_its_line():
    text = HEAD.replace("exploitation.store_daily", "store_daily") + "    weekday_deviation: {}\n"
    with pytest.raises(ConfigError, match=r"^lakebox.yaml:4: anomalies.days.table: "):
        config.parse(text)


def test_the_demo_declares_its_rules():
    demo = resources.files("lakebox.demo")
    text = "".join(
        demo.joinpath(part).read_text("utf-8") for part in ("sources.yaml", "streams.yaml")
    )
    rules = config.parse(text).anomalies
    assert {name: rule.kind for name, rule in rules.items()} == {
        "store_days": "weekday_deviation",
        "sensor_hours": "weekday_deviation",
        "failed_sensors": "failed_sensor",
    }
