"""The registry: increasing versions, one production version per name, promote and rollback
as new Iceberg snapshots, artifacts that load back."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from lakebox.analysis import registry
from lakebox.analysis.registry import ModelVersion
from lakebox.errors import ModelLifecycleError


def fitted(slope: float) -> LinearRegression:
    return LinearRegression().fit(pd.DataFrame({"x": [0.0, 1.0, 2.0]}), [0.0, slope, 2 * slope])


def register(lh, name: str, slope: float) -> ModelVersion:
    trained = ModelVersion(
        name=name, version=0, flavor="linear", target="y", features=["x"], metrics={"mae": 0.0}
    )
    return registry.register(lh, trained, fitted(slope))


def statuses(lh, name: str) -> dict[int, str]:
    return {v.version: v.status for v in registry.list_versions(lh, name)}


@pytest.fixture
def lh(make_project):
    return make_project()


def test_versions_increase_per_name_and_start_as_candidates(lh):
    assert [register(lh, "a", s).version for s in (1, 2, 3)] == [1, 2, 3]
    assert register(lh, "b", 1).version == 1
    assert statuses(lh, "a") == {1: "candidate", 2: "candidate", 3: "candidate"}
    one = registry.list_versions(lh, "a")[0]
    assert one.artifact == "models/a/1.joblib" and one.features == ["x"]
    assert lh.storage.exists("models/a/1.joblib")
    loaded = registry.load_artifact(lh, registry.get(lh, "a", 2))
    assert loaded.estimator.predict(pd.DataFrame({"x": [10.0]}))[0] == pytest.approx(20)


def test_promote_keeps_one_production_version_and_rollback_goes_back_step_by_step(lh):
    for slope in (1, 2, 3):
        register(lh, "a", slope)
    register(lh, "b", 1)
    registry.promote(lh, "b", 1)
    registry.promote(lh, "a", 1)
    registry.promote(lh, "a", 2)
    assert statuses(lh, "a") == {1: "archived", 2: "production", 3: "candidate"}
    registry.promote(lh, "a", 3)
    assert statuses(lh, "a") == {1: "archived", 2: "archived", 3: "production"}
    assert registry.get(lh, "a").version == 3

    assert registry.rollback(lh, "a").version == 2
    assert statuses(lh, "a") == {1: "archived", 2: "production", 3: "archived"}
    assert registry.rollback(lh, "a").version == 1
    with pytest.raises(ModelLifecycleError, match="no earlier production version"):
        registry.rollback(lh, "a")
    registry.promote(lh, "a", 3)
    assert registry.rollback(lh, "a").version == 1  # the version in production before 3
    assert statuses(lh, "b") == {1: "production"}


def test_every_change_is_a_snapshot_of_the_registry(lh):
    register(lh, "a", 1)
    register(lh, "a", 2)
    registry.promote(lh, "a", 1)
    registry.promote(lh, "a", 2)
    registry.rollback(lh, "a")
    table = lh.catalog.load(registry.MODELS)
    changes = [
        s.summary.additional_properties.get(registry.CHANGE_PROPERTY)
        for s in table.snapshots()
        if s.summary.operation.value in ("append", "overwrite")
    ]
    assert changes == [
        "register a v1",
        "register a v2",
        "promote a v1",
        "promote a v2",
        "rollback a v2 to v1",
    ]
    first = lh.query(
        "SELECT status FROM analytics.models WHERE version = 1",
        as_of=str(table.snapshots()[0].snapshot_id),
    )
    assert first["status"].to_pylist() == ["candidate"]


def test_unknown_names_versions_and_stages_say_what_to_do(lh):
    with pytest.raises(ModelLifecycleError, match="no model named 'a' is registered"):
        registry.get(lh, "a")
    register(lh, "a", 1)
    with pytest.raises(ModelLifecycleError, match="has no production version"):
        registry.get(lh, "a")
    with pytest.raises(ModelLifecycleError, match=r"has no version 7 \(versions: 1\)"):
        registry.promote(lh, "a", 7)
    with pytest.raises(ModelLifecycleError, match="has no production version"):
        registry.rollback(lh, "a")
