"""Training: each model kind fits on the time before the cutoff, with clear errors."""

from __future__ import annotations

import pytest

from lakebox.analysis import registry
from lakebox.analysis.sandbox import create_sandbox
from lakebox.analysis.training import metrics, train
from lakebox.errors import ModelLifecycleError
from tests.analysis.conftest import SQL, project_with_readings


@pytest.fixture
def lh(make_project):
    lh = project_with_readings(make_project, 60)
    create_sandbox(lh, "a", SQL)
    return lh


@pytest.mark.parametrize(
    ("flavor", "small_data"),
    [("random_forest", {}), ("lightgbm", {"min_child_samples": 2})],
)
def test_tree_models_fit_with_every_core_of_the_project(lh, flavor, small_data):
    parameters = {"n_estimators": 20, **small_data}
    trained = train(lh, "trees", "a", "y", ["x"], flavor, parameters=parameters)
    assert trained.parameters["n_jobs"] == 2 and trained.parameters["n_estimators"] == 20
    assert trained.metrics["mae"] < 3 and trained.metrics["rows"] == 12
    assert trained.parameters["split.validation_rows"] == 12


def test_a_zone_table_trains_too_and_records_its_snapshot(lh):
    trained = train(lh, "direct", "exploitation.readings", "y", ["x"], "linear")
    assert list(trained.training_snapshots) == ["exploitation.readings"]


def test_metrics_are_the_usual_ones():
    import numpy as np

    found = metrics(np.array([1.0, 2.0, 0.0, 4.0]), np.array([2.0, 2.0, 1.0, 2.0]))
    assert found["mae"] == pytest.approx(1.0)
    assert found["rmse"] == pytest.approx(np.sqrt(6 / 4))
    assert found["mape"] == pytest.approx((100 + 0 + 50) / 3)
    assert found["rows"] == 4


CANNOT_TRAIN = [
    ({"flavor": "deep"}, "unknown model 'deep'"),
    ({"parameters": {"depth": 3}}, "does not take these parameters"),
    ({"features": ["sensor"]}, "feature 'sensor' of analytics.sandbox_a is not a number"),
    ({"features": ["nope"]}, "has no column"),
    ({"source": "missing"}, "no sandbox or table 'missing'"),
    ({"time_column": "x", "cutoff": "100"}, "leaves no validation rows"),
]


def test_what_cannot_be_trained_says_why(lh):
    for arguments, message in CANNOT_TRAIN:
        settings = {"source": "a", "features": ["x"], **arguments}
        with pytest.raises(ModelLifecycleError, match=message):
            train(lh, "m", settings.pop("source"), "y", settings.pop("features"), **settings)
    assert registry.list_versions(lh) == []
