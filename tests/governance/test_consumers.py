"""What the demo project declares that reads columns — checks, forecasts, anomaly rules,
stream alerts — as consumers of its lineage graph, and the streams' window tables in it; then
impact analysis over that graph, and finding a node by the name someone typed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lakebox.catalog import TableRef
from lakebox.config import CheckConfig
from lakebox.config.anomalies import AnomalyRuleConfig
from lakebox.config.streams import StreamConfig
from lakebox.errors import LineageError
from lakebox.governance.consumers import (
    alert_consumers,
    anomaly_consumer,
    check_reads,
    config_consumers,
)
from lakebox.governance.graph import Graph
from lakebox.governance.impact import impact, known_node
from lakebox.governance.lineage import project_graph
from lakebox.governance.windows import add_stream_windows
from lakebox.lakehouse import open_project

SALES = TableRef("exploitation", "sales")
SCHEMA = {SALES: ["id", "store", "amount", "day"], TableRef("exploitation", "stores"): ["store"]}


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graph]:
    from lakebox.demo import write_project

    directory: Path = tmp_path_factory.mktemp("demo")
    write_project(directory, seed=7, api_url="http://127.0.0.1:9")
    with open_project(directory) as lh:
        built = add_stream_windows(project_graph(lh), lh.config.streams)
        yield built.merge(config_consumers(lh, built))


def _reads(graph: Graph, consumer: str) -> set[str]:
    return {link.source for link in graph.links.values() if link.target == consumer}


def test_a_check_reads_the_columns_it_names(graph: Graph) -> None:
    assert _reads(graph, "check:formatted.door_counts/not_null(sensor, ts)") == {
        "formatted.door_counts",
        "formatted.door_counts.sensor",
        "formatted.door_counts.ts",
    }
    related = _reads(graph, "check:exploitation.traffic_store_daily/relationships(store_id)")
    assert {"exploitation.traffic_store_daily.store_id", "exploitation.stores.store_id"} <= related
    # a named check keeps its name; a row count reads the whole table
    assert "formatted.door_counts.count" in _reads(
        graph, "check:formatted.door_counts/failed_sensor_readings"
    )
    assert _reads(graph, "check:exploitation.materials_monthly/row_count") == {
        "exploitation.materials_monthly"
    }


def test_a_custom_check_is_traced_and_reads_the_table_when_it_cannot_be() -> None:
    sql = "SELECT * FROM {table} s JOIN exploitation.stores t ON s.store = t.store WHERE amount < 0"
    assert set(check_reads(SALES, CheckConfig(sql=sql), SCHEMA)) >= {
        (SALES, "amount"),
        (SALES, "store"),
        (TableRef("exploitation", "stores"), "store"),
    }
    assert check_reads(SALES, CheckConfig(sql="SELECT FROM WHERE ("), SCHEMA) == [(SALES, "")]


def test_forecasts_and_anomaly_rules_read_their_ids_time_and_value(graph: Graph) -> None:
    monthly = "exploitation.materials_monthly"
    assert {f"{monthly}.material", f"{monthly}.month", f"{monthly}.quantity_kg"} <= _reads(
        graph, "forecast:materials"
    )
    daily = "exploitation.traffic_store_daily"
    assert {f"{daily}.store_id", f"{daily}.local_date", f"{daily}.visitors"} <= _reads(
        graph, "anomaly:store_days"
    )


def test_an_anomaly_rule_reads_its_where_its_hours_table_and_its_forecast() -> None:
    rule = AnomalyRuleConfig(
        table="exploitation.sales",
        ids=["store"],
        time="day",
        value="amount",
        where="id > 10",
        failed_sensor={
            "hours_table": {"table": "exploitation.hours", "on": ["store"]},
            "sentinel": -1,
        },
    )
    reads = set(anomaly_consumer("r", rule, SCHEMA).reads)
    assert (SALES, "id") in reads  # from its where
    assert (TableRef("exploitation", "hours"), "opens") in reads
    compared = AnomalyRuleConfig(
        table="exploitation.sales",
        time="day",
        value="amount",
        outside_forecast={"forecast": "analytics.forecast_sales"},
    )
    reads = set(anomaly_consumer("c", compared, SCHEMA).reads)
    assert (TableRef("analytics", "forecast_sales"), "ds") in reads


def test_a_window_table_comes_from_the_streams_landed_fields(graph: Graph) -> None:
    upstream = {
        step.node.id: step.how
        for step in graph.walk("exploitation.air_quality_1m.pm25_ma15", "upstream")
    }
    assert upstream == {
        "exploitation.air_quality_1m.pm25_mean": "moving average",
        "landing.air_quality.pm25": "aggregated",
    }
    bounds = graph.walk("exploitation.air_quality_5m.window_start", "upstream")
    assert [(step.node.id, step.how) for step in bounds] == [("landing.air_quality.ts", "window")]


def test_an_alert_rule_reads_the_field_it_watches(graph: Graph) -> None:
    assert _reads(graph, "alert:air_quality/pm25_high") == {
        "landing.air_quality",
        "landing.air_quality.pm25",
    }
    below = {step.node.id for step in graph.walk("landing.air_quality.pm25", "downstream")}
    assert {"alert:air_quality/pm25_stuck", "exploitation.air_quality_5m.pm25_max"} <= below


def test_a_zscore_alert_reads_the_window_column_and_its_average() -> None:
    stream = StreamConfig(
        key="device",
        time="ts",
        fields={"device": "VARCHAR", "ts": "TIMESTAMPTZ", "v": "DOUBLE"},
        windows={"1m": {"size": "1m", "aggregates": {"v": ["mean"]}}},
        averages={"v_ma": {"window": "1m", "of": "v_mean", "over": 5}},
        alerts={
            "jump": {
                "kind": "zscore",
                "window": "1m",
                "of": "v_mean",
                "average": "v_ma",
                "above": 3,
            }
        },
    )
    [alert] = alert_consumers("meters", stream)
    window = TableRef("exploitation", "meters_1m")
    assert alert.id == "alert:meters/jump"
    assert alert.reads == ((window, "v_mean"), (window, "v_ma"))


def test_impact_groups_what_is_downstream_by_kind(graph: Graph) -> None:
    found = impact(graph, "formatted.door_counts.count")
    groups = {group["group"]: group for group in found["groups"]}  # type: ignore[index]
    assert list(groups) == ["columns", "checks", "anomalies"]
    columns = groups["columns"]["items"]
    assert [item["table"] for item in columns] == sorted(item["table"] for item in columns)
    assert {"id": "exploitation.door_readings.count", "depth": 1, "how": "passed"}.items() <= (
        columns[0].items()
    )
    assert {item["id"] for item in groups["checks"]["items"]} == {
        "check:formatted.door_counts/failed_sensor_readings",
        "check:exploitation.traffic_store_daily_deviation/unusual_store_days",
    }
    assert found["count"] == sum(group["count"] for group in groups.values())
    assert impact(graph, "check:exploitation.stores/unique(store_id)")["count"] == 0


def test_a_node_is_found_by_its_name_or_refused_with_the_closest(graph: Graph) -> None:
    assert known_node(graph, " Exploitation.Stores.Store_ID ") == "exploitation.stores.store_id"
    assert known_node(graph, "forecast:materials") == "forecast:materials"
    with pytest.raises(LineageError) as refused:
        known_node(graph, "exploitation.store.store_id")
    assert "exploitation.stores.store_id" in str(refused.value)
    assert refused.value.fields["status"] == 404
    with pytest.raises(LineageError) as huge:
        known_node(graph, "x" * 100_000)
    assert len(str(huge.value)) < 1000
