"""Each cleaning rule on its own, data-driven from tests/formatted/fixtures/rules/<rule>.csv."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from lakebox.config import ColumnConfig, SourceConfig
from lakebox.formatted import rules
from lakebox.formatted.rules import ColumnPlan

FIXTURES = Path(__file__).parent / "fixtures" / "rules"
SOURCE = SourceConfig(path="unused")


def fixture(name: str) -> list[dict[str, str]]:
    with (FIXTURES / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="|"))


def shown(value: object) -> str:
    if value is None:
        return "<null>"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return value.isoformat() if isinstance(value, date) else str(value)


def evaluate(plan: ColumnPlan, text: str, unit: str | None = None) -> tuple[object, object, bool]:
    """Return (cleaned text, typed value, refused) for `text` through `plan`'s SQL."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    typed = plan.typed or plan.value_ref
    refused = " OR ".join(f"coalesce({check.failed}, false)" for check in plan.checks) or "false"
    sql = (
        f'WITH raw AS (SELECT ?::VARCHAR AS x), v AS (SELECT {plan.value} AS "v.x", '
        f'?::VARCHAR AS "v.unit" FROM raw), t AS (SELECT *, {typed} AS "t.x" FROM v) '
        f'SELECT "v.x", "t.x", {refused} FROM t'
    )
    return connection.execute(sql, [text, unit]).fetchone()


def column(type_name: str = "VARCHAR", **config: object) -> ColumnPlan:
    return ColumnPlan(
        name="x", type=type_name, raw='"x"', value='"x"', config=ColumnConfig(**config)
    )


@pytest.mark.parametrize("case", fixture("strip_whitespace"), ids=str)
def test_strip_whitespace(case):
    plan = rules.strip_whitespace(column(), SOURCE)
    assert evaluate(plan, case["input"])[0] == case["expected"]


@pytest.mark.parametrize("case", fixture("null_tokens_to_null"), ids=str)
def test_null_tokens_to_null(case):
    plan = rules.apply(column(), SOURCE, (rules.strip_whitespace, rules.null_tokens_to_null))
    assert shown(evaluate(plan, case["input"])[0]) == case["expected"]


@pytest.mark.parametrize("case", fixture("cast_to_canonical_types"), ids=str)
def test_cast_to_canonical_types(case):
    plan = rules.apply(
        column(case["type"]),
        SOURCE,
        (
            rules.strip_whitespace,
            rules.null_tokens_to_null,
            rules.cast_to_canonical_types,
            rules.refuse_lost_values,
        ),
    )
    _, typed, refused = evaluate(plan, case["input"])
    assert (shown(typed), str(refused).lower()) == (case["expected"], case["refused"])


@pytest.mark.parametrize("case", fixture("timestamps_to_utc"), ids=str)
def test_timestamps_to_utc(case):
    source = SourceConfig(path="unused", timezone=case["timezone"])
    plan = rules.apply(
        column("TIMESTAMP"),
        source,
        (rules.strip_whitespace, rules.cast_to_canonical_types, rules.timestamps_to_utc),
    )
    assert shown(evaluate(plan, case["input"])[1]) == case["expected"]


@pytest.mark.parametrize("case", fixture("convert_units"), ids=str)
def test_convert_units(case):
    plan = rules.apply(
        column("DOUBLE", unit=case["target"], unit_from="unit"),
        SOURCE,
        (rules.cast_to_canonical_types, rules.convert_units, rules.refuse_lost_values),
    )
    _, typed, refused = evaluate(plan, case["input"], case["unit"])
    assert (shown(typed), str(refused).lower()) == (case["expected"], case["refused"])


def test_refuse_control_bytes():
    plan = rules.refuse_control_bytes(column(), SOURCE)
    assert evaluate(plan, "bad\x00byte")[2] is True
    assert evaluate(plan, "fine")[2] is False


def test_refuse_lost_values():
    plan = rules.refuse_lost_values(column("DOUBLE"), SOURCE)
    connection = duckdb.connect()
    sql = f'SELECT {plan.checks[-1].failed} FROM (SELECT ?::VARCHAR AS "v.x", ?::DOUBLE AS "t.x")'
    assert connection.execute(sql, ["05-03-2026", None]).fetchone() == (True,)
    assert connection.execute(sql, [None, None]).fetchone() == (False,)
    assert connection.execute(sql, ["1", 1.0]).fetchone() == (False,)


def test_rules_run_in_the_documented_order():
    assert [rule.__name__ for rule in rules.RULES] == [
        "strip_whitespace",
        "refuse_control_bytes",
        "null_tokens_to_null",
        "cast_to_canonical_types",
        "timestamps_to_utc",
        "convert_units",
        "convert_units_by_date",
        "convert_units_by_magnitude",
        "prices_to_net_or_gross",
        "names_to_canonical_form",
        "refuse_lost_values",
    ]


def test_typed_raw_columns_go_through_every_rule(make_project):
    """A reader may hand over typed columns (an all-empty workbook column is INTEGER): each
    rule reads them as text, and a value that does not fit its declared type is refused."""
    from lakebox.formatted import schema, staging

    lh = make_project()
    lh.engine.execute(
        "CREATE TEMP TABLE typed_raw AS SELECT 5::INTEGER AS n, 2.5::DOUBLE AS d, "
        "DATE '2026-01-02' AS day, true AS flag, NULL::INTEGER AS empty, 7::INTEGER AS bad"
    )
    source = SourceConfig(path="unused", columns={"bad": ColumnConfig(type="DATE")})
    names = ["n", "d", "day", "flag", "empty", "bad"]

    plan = schema.resolve(lh.engine, "typed_raw", names, source, None)
    select = staging.typed_select(plan.columns, [], "typed_raw")
    row = lh.engine.execute(f"SELECT n, d, day, flag, empty, _reason FROM ({select})").fetchone()

    assert row == (5, 2.5, date(2026, 1, 2), True, None, "bad: '7' is not a DATE")
