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
    """Scores each event's novelty in [0, 1] with half-space trees, learning as it goes."""

    column = "anomaly_score"

    def __init__(self, config: AnomalyConfig) -> None:
        from river import anomaly, compose, preprocessing

        self.fields = list(config.fields)
        trees = anomaly.HalfSpaceTrees(
            n_trees=config.trees,
            height=config.height,
            window_size=config.window_size,
            seed=config.seed,
        )
        self.model: Any = compose.Pipeline(preprocessing.MinMaxScaler(), trees)

    def score(self, events: pa.Table) -> pa.Array:
        """Return each event's score (before learning from it); null without every field."""
        columns = [_floats(events.column(name)) for name in self.fields]
        scores = []
        for values in zip(*columns, strict=True):
            if any(np.isnan(value) for value in values):
                scores.append(None)
                continue
            features = dict(zip(self.fields, (float(v) for v in values), strict=True))
            scores.append(float(self.model.score_one(features)))
            self.model.learn_one(features)
        return pa.array(scores, pa.float64())


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
