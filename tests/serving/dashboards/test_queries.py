"""Binding: fragments only from declared options, user values only as parameters."""

from __future__ import annotations

import pytest

from lakebox.errors import DashboardError, QueryError
from lakebox.serving.dashboards.queries import bind, expand, placeholders
from lakebox.serving.dashboards.spec import ResolutionOption
from lakebox.serving.queries import QueryService
from tests.serving.dashboards.conftest import HOSTILE

DAILY = ResolutionOption(value="daily", fragments={"time": "day", "table": "visits_daily"})


def test_fragments_come_from_the_chosen_option():
    sql = "SELECT {{ grain.time }} AS t FROM exploitation.{{grain.table}} -- {{ grain }}"
    assert (
        expand(sql, {"grain": DAILY}) == "SELECT day AS t FROM exploitation.visits_daily -- daily"
    )
    with pytest.raises(DashboardError, match="no resolution filter 'level'"):
        expand("SELECT {{ level.x }}", {"grain": DAILY})
    with pytest.raises(DashboardError, match="has no 'nope'"):
        expand("SELECT {{ grain.nope }}", {"grain": DAILY})


def test_only_the_parameters_a_statement_uses_are_bound():
    bound = bind(
        "SELECT * FROM t WHERE a = $store AND list_contains($weekday, w)",
        {},
        {"store": "BCN", "weekday": [1, 2], "hours_from": 0},
    )
    assert bound.parameters == {"store": "BCN", "weekday": [1, 2]}
    assert placeholders("SELECT '$store' AS text, $x") == {"x"}


def test_unknown_positional_and_writing_sql_are_refused():
    with pytest.raises(DashboardError, match=r"uses \$shop, which no filter gives"):
        bind("SELECT * FROM t WHERE a = $shop", {}, {"store": "BCN"})
    with pytest.raises(DashboardError, match="named parameters"):
        bind("SELECT * FROM t WHERE a = ?", {}, {})
    with pytest.raises(QueryError, match="only reading statements"):
        bind("DELETE FROM t WHERE a = $store", {}, {"store": "BCN"})
    with pytest.raises(QueryError, match="one statement at a time"):
        bind("SELECT 1; DROP TABLE t", {}, {})


def test_a_hostile_value_is_data_not_sql(shop):
    queries = QueryService(shop)
    sql = "SELECT count(*) AS n, sum(visitors) AS visitors FROM formatted.visits WHERE store = $s"
    for value, expected in [("BCN", (4, 75)), (HOSTILE, (1, 1)), ("x' OR '1'='1", (0, None))]:
        bound = bind(sql, {}, {"s": value})
        row = queries.run(bound.sql, parameters=bound.parameters).table.to_pylist()[0]
        assert (row["n"], row["visitors"]) == expected
    assert shop.query("SELECT count(*) AS n FROM formatted.visits").to_pylist() == [{"n": 7}]


def test_the_query_service_binds_parameters_under_its_guard(shop):
    queries = QueryService(shop)
    result = queries.run("SELECT $a + 1 AS b", parameters={"a": 41})
    assert result.table.to_pylist() == [{"b": 42}]
    assert queries.run("SELECT 1 AS one").table.to_pylist() == [{"one": 1}]
    with pytest.raises(QueryError, match="only reading"):
        queries.run("DROP TABLE formatted.visits", parameters={})
