"""Batch scoring: a chosen version's predictions with the input's keys, recorded inputs."""

from __future__ import annotations

import json

import pytest

from lakebox.analysis import registry
from lakebox.analysis.sandbox import INPUTS_PROPERTY, create_sandbox, describe
from lakebox.analysis.scoring import score
from lakebox.analysis.training import train
from lakebox.catalog import TableRef
from lakebox.errors import ModelLifecycleError
from tests.analysis.conftest import SQL, project_with_readings


@pytest.fixture
def lh(make_project):
    lh = project_with_readings(make_project, 30)
    create_sandbox(lh, "a", SQL)
    train(lh, "lift", "a", "y", ["x"], "linear")
    return lh


def test_a_version_scores_a_table_and_the_commit_records_it(lh):
    report = score(lh, "lift", "exploitation.readings", version=1)
    assert (report.version, report.rows, report.table) == (1, 60, "analytics.scores_lift")
    rows = lh.query("SELECT * FROM analytics.scores_lift").to_pylist()
    assert all(row["prediction"] == pytest.approx(row["y"]) for row in rows)
    assert list(rows[0]) == ["ts", "sensor", "y", "prediction", "model_version", "scored_at"]
    snapshot = lh.catalog.load(TableRef("analytics", "scores_lift")).current_snapshot()
    properties = snapshot.summary.additional_properties
    assert properties["lakebox.model-version"] == "1"
    readings_snapshot = lh.catalog.summary(TableRef("exploitation", "readings"))["snapshot_id"]
    assert json.loads(properties[INPUTS_PROPERTY]) == {"exploitation.readings": readings_snapshot}
    assert describe(lh, TableRef("analytics", "scores_lift")).rows == 60


def test_scoring_needs_a_production_version_and_the_features(lh):
    with pytest.raises(ModelLifecycleError, match="has no production version"):
        score(lh, "lift", "a")
    registry.promote(lh, "lift", 1)
    with pytest.raises(ModelLifecycleError, match=r"needs column\(s\) x"):
        score(lh, "lift", "SELECT ts, y FROM exploitation.readings")
    with pytest.raises(ModelLifecycleError, match="no key column"):
        score(lh, "lift", "a", keys=["id"])
