"""Registered models in the lineage graph: a model reads the feature and target columns of
the table it was trained on, and a sandbox or feature table it learned from is traced back to
the tables its SQL read, so a change there reaches the model."""

from __future__ import annotations

import pytest

from lakebox.analysis import registry
from lakebox.analysis.features import FeatureSpec, build_features
from lakebox.analysis.sandbox import create_sandbox
from lakebox.analysis.training import train
from lakebox.governance.consumers import config_consumers
from lakebox.governance.graph import Graph
from lakebox.governance.lineage import project_graph
from lakebox.governance.trained import add_frozen_tables
from lakebox.lakehouse import Lakehouse
from tests.analysis.conftest import SQL, project_with_readings


def _graph(lh: Lakehouse) -> Graph:
    graph = project_graph(lh)
    consumers = config_consumers(lh, graph)
    return add_frozen_tables(lh, graph, consumers).merge(consumers)


def _reads(graph: Graph, consumer: str) -> set[str]:
    return {link.source for link in graph.links.values() if link.target == consumer}


@pytest.fixture
def lh(make_project):
    lh = project_with_readings(make_project, 60)
    create_sandbox(lh, "a", SQL)
    return lh


def test_a_model_trained_on_a_sandbox_reaches_the_table_the_sandbox_read(lh) -> None:
    train(lh, "fit", "a", "y", ["x"], "linear")
    graph = _graph(lh)
    assert _reads(graph, "trained:fit") == {
        "analytics.sandbox_a",
        "analytics.sandbox_a.x",
        "analytics.sandbox_a.y",
    }
    upstream = {step.node.id: step.how for step in graph.walk("trained:fit", "upstream")}
    assert upstream["exploitation.readings.x"] == "passed"
    below = {step.node.id for step in graph.walk("exploitation.readings.y", "downstream")}
    assert {"analytics.sandbox_a.y", "trained:fit"} <= below
    # the sandbox's WHERE shapes its rows: its column links into the sandbox's table
    assert ("exploitation.readings.sensor", "analytics.sandbox_a") in graph.links


def test_a_feature_table_is_traced_through_its_sandbox(lh) -> None:
    build_features(lh, "f", "a", FeatureSpec(time="ts", lags={"x": (1,)}))
    train(lh, "lagged", "analytics.features_f", "y", ["x", "x_lag_1"], "random_forest")
    graph = _graph(lh)
    assert "analytics.features_f.x_lag_1" in _reads(graph, "trained:lagged")
    upstream = {step.node.id for step in graph.walk("trained:lagged", "upstream")}
    assert {"analytics.sandbox_a.x", "exploitation.readings.x"} <= upstream


def test_the_production_version_is_the_one_read(lh) -> None:
    train(lh, "m", "exploitation.readings", "y", ["x"], "linear")
    registry.promote(lh, "m", 1)
    create_sandbox(lh, "b", "SELECT ts, x, y, x * 2 AS x2 FROM exploitation.readings")
    train(lh, "m", "b", "y", ["x2"], "linear")
    assert _reads(_graph(lh), "trained:m") == {
        "exploitation.readings",
        "exploitation.readings.x",
        "exploitation.readings.y",
    }
