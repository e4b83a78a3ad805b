"""Scores added to each event before windows and rules see it, so a score is a field like
any other (aggregated in windows, compared in alert rules):

- `score`: the production version of a registered model, predicting from the event's fields;
- `anomaly_score`: an online anomaly detector (river's half-space trees over min-max scaled
  fields) that scores each event, then learns from it; its state is checkpointed with the
  partition, so a restart goes on from where it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakebox.config.streams import AnomalyConfig, StreamConfig
from lakebox.errors import ModelLifecycleError

if TYPE_CHECKING:
    from lakebox.lakehouse import Lakehouse


class Scorer(Protocol):
    """What adds one score column to a micro-batch's events."""

    column: str

    def score(self, events: pa.Table) -> pa.Array:
        """Return one float (or null) per event, in order."""
        ...


class ModelScorer:
    """Predicts `score` with a registered model's production version."""

    column = "score"

    def __init__(self, lh: Lakehouse, name: str, stream: StreamConfig) -> None:
        from lakebox.analysis import registry

        chosen = registry.get(lh, name)
        artifact = registry.load_artifact(lh, chosen)
        missing = [f for f in artifact.features if f not in stream.fields]
        if missing:
            raise ModelLifecycleError(
                f"model {name!r} v{chosen.version} needs {', '.join(missing)}, which the stream "
                "does not declare",
                hint="score with a model trained on the stream's fields",
                model=name,
            )
        self.model = name
        self.version = chosen.version
        self.features = artifact.features
        self.estimator = artifact.estimator

    def score(self, events: pa.Table) -> pa.Array:
        """Return the model's prediction per event; null where a feature is missing."""
        import pandas as pd

        matrix = np.column_stack([_floats(events.column(f)) for f in self.features])
        complete = ~np.isnan(matrix).any(axis=1)
        scores = np.full(events.num_rows, np.nan)
        if complete.any():
            frame = pd.DataFrame(matrix[complete], columns=self.features)
            scores[complete] = np.asarray(self.estimator.predict(frame), dtype=float)
        return pa.array(scores, pa.float64(), mask=np.isnan(scores))


class AnomalyScorer:
    """Scores each event's novelty in [0, 1] with half-space trees, learning as it goes.

    The trees need each field's range: `limits` when declared, else the range of the first
    `window_size` events widened by half its span on each side (those events only teach the
    trees and get no score). Values are clipped to the range, so a reading far outside it
    lands where the trees have seen nothing and scores high."""

    column = "anomaly_score"

    def __init__(self, config: AnomalyConfig) -> None:
        self.config = config
        self.fields = list(config.fields)
        self.limits: dict[str, tuple[float, float]] = {
            name: (float(low), float(high)) for name, (low, high) in config.limits.items()
        }
        self.warmup: list[dict[str, float]] = []
        self.model: Any = self._trees() if len(self.limits) == len(self.fields) else None

    def _trees(self) -> Any:
        from river import anomaly

        return anomaly.HalfSpaceTrees(
            n_trees=self.config.trees,
            height=self.config.height,
            window_size=self.config.window_size,
            seed=self.config.seed,
            limits=dict(self.limits),
        )

    def score(self, events: pa.Table) -> pa.Array:
        """Return each event's score (before learning from it); null without every field,
        and during the warm-up."""
        columns = [_floats(events.column(name)) for name in self.fields]
        return pa.array([self._one(values) for values in zip(*columns, strict=True)], pa.float64())

    def _one(self, values: tuple[float, ...]) -> float | None:
        if any(np.isnan(value) for value in values):
            return None
        features = dict(zip(self.fields, (float(v) for v in values), strict=True))
        if self.model is None:
            self._warm_up(features)
            return None
        clipped = {
            name: min(max(value, self.limits[name][0]), self.limits[name][1])
            for name, value in features.items()
        }
        score = float(self.model.score_one(clipped))
        self.model.learn_one(clipped)
        return score

    def _warm_up(self, features: dict[str, float]) -> None:
        self.warmup.append(features)
        if len(self.warmup) < self.config.window_size:
            return
        for name in self.fields:
            seen = [event[name] for event in self.warmup]
            span = max(max(seen) - min(seen), 1e-9)
            self.limits.setdefault(name, (min(seen) - span / 2, max(seen) + span / 2))
        self.model = self._trees()
        for event in self.warmup:
            self.model.learn_one(event)
        self.warmup = []


def scorers_for(stream: StreamConfig, lh: Lakehouse | None) -> list[Scorer]:
    """Return the scorers a stream declares (a model needs the lakehouse to load it)."""
    found: list[Scorer] = []
    if stream.score is not None:
        if lh is None:
            raise ModelLifecycleError("scoring a stream with a model needs its project")
        found.append(ModelScorer(lh, stream.score.model, stream))
    if stream.anomaly is not None:
        found.append(AnomalyScorer(stream.anomaly))
    return found


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False).astype(float)
