"""The demo project's lineage graph: from a dashboard-level column back to its landing columns,
and from a table down to everything that reads it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lakebox.catalog import TableRef
from lakebox.governance.graph import Consumer, Graph
from lakebox.governance.lineage import project_graph
from lakebox.lakehouse import open_project


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graph]:
    from lakebox.demo import write_project

    directory: Path = tmp_path_factory.mktemp("demo")
    write_project(directory, seed=7, api_url="http://127.0.0.1:9")
    chart = Consumer(
        "chart:store-traffic/visitors",
        "chart",
        "visitors",
        ((TableRef("exploitation", "traffic_store_daily"), "visitors"),),
    )
    with open_project(directory) as lh:
        yield project_graph(lh, [chart])


def test_a_chart_traces_back_to_the_api_and_file_landing_columns(graph: Graph) -> None:
    steps = graph.walk("chart:store-traffic/visitors", "upstream")
    reached = {step.node.id: step for step in steps}
    assert reached["exploitation.traffic_store_daily.visitors"].depth == 1
    assert reached["landing.door_counts_live.count"].how == "cast to BIGINT"
    assert reached["formatted.door_counts.count"].how == "passed"
    assert "exploitation.stores.timezone" in reached  # the local day comes from the store's zone


def test_a_renamed_column_links_to_its_raw_name(graph: Graph) -> None:
    steps = graph.walk("formatted.door_counts_live.ts", "upstream", depth=1)
    assert [(step.node.id, step.how) for step in steps] == [
        ("landing.door_counts_live.hour", "cast to TIMESTAMP; renamed from hour")
    ]


def test_a_join_key_reaches_the_joined_table_and_below(graph: Graph) -> None:
    below = {step.node.id for step in graph.walk("exploitation.stores.store_id", "downstream")}
    assert "exploitation.traffic_sensor_hourly" in below  # the join key shapes its rows
    assert "exploitation.traffic_store_daily_deviation" in below
    assert "chart:store-traffic/visitors" in below


def test_depth_bounds_a_walk(graph: Graph) -> None:
    steps = graph.walk("exploitation.door_readings", "downstream", depth=1)
    assert {step.node.id for step in steps} == {
        "exploitation.stores",
        "exploitation.traffic_sensor_hourly",
    }
    assert all(step.depth == 1 for step in steps)


def test_narrowing_drops_unreadable_tables_and_their_landing_columns(graph: Graph) -> None:
    from lakebox.governance.views import narrowed

    kept = narrowed(graph, lambda table: table != "formatted.door_counts_live")
    assert "landing.door_counts_live.hour" not in kept.nodes
    assert "formatted.door_counts_live.ts" not in kept.nodes
    upstream = {step.node.id for step in kept.walk("exploitation.door_readings.ts", "upstream")}
    assert upstream == {"formatted.door_counts.ts", "landing.door_counts.ts"}


def test_around_a_column_holds_every_column_of_the_tables_it_reaches(graph: Graph) -> None:
    from lakebox.governance.views import around

    drawn = around(graph, "formatted.door_counts_live.ts", "upstream", None)
    ids = {node["id"] for node in drawn["nodes"]}  # type: ignore[union-attr]
    assert {"landing.door_counts_live.hour", "landing.door_counts_live.count"} <= ids
    assert "formatted.door_counts_live.city" in ids
    assert "exploitation.door_readings.ts" not in ids


def test_a_table_walk_stays_with_tables(graph: Graph) -> None:
    steps = graph.walk("exploitation.traffic_store_daily", "upstream")
    assert {step.node.kind for step in steps} == {"table", "landing"}
    assert "landing.door_counts_live" in {step.node.id for step in steps}


def test_a_cycle_is_walked_once() -> None:
    cyclic = Graph()
    first, second = TableRef("exploitation", "a"), TableRef("exploitation", "b")
    cyclic.link(cyclic.column(first, "x"), cyclic.column(second, "x"), "passed")
    cyclic.link(cyclic.column(second, "x"), cyclic.column(first, "x"), "passed")
    steps = cyclic.walk("exploitation.a.x", "downstream")
    assert [(step.node.id, step.depth) for step in steps] == [("exploitation.b.x", 1)]


def test_sql_over_a_table_outside_the_drawn_graph_still_traces(graph: Graph) -> None:
    from lakebox.exploitation.lineage import columns_read
    from lakebox.governance.consumers import resolver

    forecast = TableRef("analytics", "forecast_materials")
    graph.known[forecast] = ["ds", "yhat", "material"]
    schema = graph.schema()
    read = columns_read(
        "SELECT ds, yhat FROM analytics.forecast_materials", schema, resolver(schema)
    )
    assert read == {(forecast, "ds"), (forecast, "yhat")}
