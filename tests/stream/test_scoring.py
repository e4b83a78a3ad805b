"""Scores on the hot path: a registered model's production version scores each event, an
online anomaly detector learns as it goes, and both are fields for windows and alert rules."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import orjson
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.linear_model import LinearRegression

from lakebox.analysis import registry
from lakebox.analysis.registry import ModelVersion
from lakebox.config.streams import StreamConfig
from lakebox.errors import ModelLifecycleError
from lakebox.stream.events import Record
from lakebox.stream.partition import PartitionState

START = datetime(2026, 3, 1, tzinfo=UTC)


def stream(**extra: object) -> StreamConfig:
    return StreamConfig.model_validate(
        {
            "key": "device_id",
            "time": "ts",
            "fields": {"device_id": "VARCHAR", "ts": "TIMESTAMPTZ", "pm25": "DOUBLE"},
            **extra,
        }
    )


def records(values: list[float | None], devices: int = 1) -> list[Record]:
    found = []
    for offset, value in enumerate(values):
        event = {
            "device_id": f"d{offset % devices}",
            "ts": (START + timedelta(seconds=10 * offset)).isoformat(),
            "pm25": value,
        }
        found.append(Record(0, offset, orjson.dumps(event)))
    return found


def promote_doubling_model(lh, features: list[str]) -> None:
    frame = pd.DataFrame({name: [0.0, 1.0, 2.0] for name in features})
    estimator = LinearRegression().fit(frame, [0.0, 2.0, 4.0])
    trained = ModelVersion(
        name="double", version=0, flavor="linear", target="y", features=features, metrics={}
    )
    version = registry.register(lh, trained, estimator)
    registry.promote(lh, "double", version.version)


def test_a_models_score_is_a_field_for_windows_and_rules(make_project):
    lh = make_project()
    promote_doubling_model(lh, ["pm25"])
    config = stream(
        score={"model": "double"},
        windows={"1m": {"size": "1m", "aggregates": {"score": ["max"], "pm25": ["max"]}}},
        alerts={"scored": {"field": "score", "above": 70, "events": 2}},
    )
    state = PartitionState("aq", config, 0, lh)
    output = state.process(
        records([10.0, 20.0, 36.0, 40.0, None, 5.0, 6.0, 7.0, 8.0, 9.0, 1.0, 2.0])
    )
    rows = pa.concat_tables(output.rows["1m"]).to_pylist()
    for row in rows:
        assert row["score_max"] == pytest.approx(2 * row["pm25_max"])
    opened = [t for t in output.transitions if t.opened]
    assert [t.offset for t in opened] == [3]  # 72 and 80: the second reading above 70
    assert [t.offset for t in output.transitions if not t.opened] == [5]  # the null is skipped


def test_a_model_needing_a_field_the_stream_lacks_is_refused(make_project):
    lh = make_project()
    promote_doubling_model(lh, ["temperature"])
    with pytest.raises(ModelLifecycleError, match="needs temperature"):
        PartitionState("aq", stream(score={"model": "double"}), 0, lh)


def test_a_missing_model_is_refused_with_a_hint(make_project):
    lh = make_project()
    with pytest.raises(ModelLifecycleError, match="no model named 'nothing'"):
        PartitionState("aq", stream(score={"model": "nothing"}), 0, lh)


def readings(count: int, spike_at: int) -> list[float]:
    return [100.0 if index == spike_at else 10.0 + (index % 7) * 0.5 for index in range(count)]


def anomaly_scores(output) -> list[float]:
    return [row["anomaly_score_max"] for row in pa.concat_tables(output.rows["w"]).to_pylist()]


def anomaly_stream() -> StreamConfig:
    return stream(
        anomaly={"fields": ["pm25"], "window_size": 20, "seed": 7},
        windows={"w": {"size": "10s", "aggregates": {"anomaly_score": ["max"]}}},
    )


def test_the_online_detector_scores_a_spike_above_the_usual_readings():
    state = PartitionState("aq", anomaly_stream(), 0)
    output = state.process(records(readings(400, spike_at=350)))
    scores = anomaly_scores(output)
    assert scores[:20] == [None] * 20  # the warm-up window only teaches the trees
    assert all(0.0 <= score <= 1.0 for score in scores[20:])
    usual = sorted(scores[100:340])
    assert scores[350] > max(usual)


def test_the_detector_goes_on_from_its_checkpoint_as_if_never_stopped():
    events = records(readings(300, spike_at=250))
    whole = PartitionState("aq", anomaly_stream(), 0)
    uninterrupted = anomaly_scores(whole.process(events))
    first = PartitionState("aq", anomaly_stream(), 0)
    before = anomaly_scores(first.process(events[:120]))
    restored = pickle.loads(pickle.dumps(first))
    after = anomaly_scores(restored.process(events[120:]))
    assert before + after == uninterrupted
