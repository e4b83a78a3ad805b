"""The model endpoints: the registry, and online predictions by a model's production version.

A loaded model is kept per (name, version); the registry is re-read only when its Iceberg
metadata changed, so a promote or rollback is served from the next request on.

Listing the registry needs a grant of all of `analytics.models`. Predicting needs the ability
`train`, or a grant of all of the table the production version learnt from (its features
table: the sandbox or `zone.table` it was trained on, unmasked and unfiltered; the tables that
one was made from need no grant): a model tells about the rows it learnt from, so only who may
read them whole — or may train models — may ask it.
"""

from __future__ import annotations

import math
import threading
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from lakebox.analysis import registry
from lakebox.analysis.registry import Artifact, ModelVersion
from lakebox.analysis.sandbox import describe
from lakebox.analysis.training import matrix, predict
from lakebox.catalog import TableRef
from lakebox.errors import ModelLifecycleError
from lakebox.lakehouse import Lakehouse
from lakebox.serving.dependencies import QueriesDep, model_cache
from lakebox.serving.grants import require_whole
from lakebox.serving.queries import QueryService

MAX_ROWS = 10_000
Value = Annotated[float | None, Field(allow_inf_nan=False)]


class PredictRequest(BaseModel):
    """Rows to predict: each maps every feature of the model to its value."""

    rows: list[dict[str, Value]] = Field(min_length=1, max_length=MAX_ROWS)


class Prediction(BaseModel):
    """One prediction per row sent, in order, by the model's production version."""

    model: str
    version: int
    predictions: list[float | None]


class RegisteredModel(BaseModel):
    """One version in the registry `analytics.models`."""

    name: str
    version: int
    flavor: str
    status: str
    target: str
    features: list[str]
    parameters: dict[str, Any]
    training_snapshots: dict[str, int]
    metrics: dict[str, Any]
    trained_at: str | None
    training_seconds: float
    promoted_at: str | None
    artifact: str

    @classmethod
    def of(cls, version: ModelVersion) -> RegisteredModel:
        fields = {name: getattr(version, name) for name in cls.model_fields}
        for moment in ("trained_at", "promoted_at"):
            fields[moment] = fields[moment].isoformat() if fields[moment] else None
        return cls(**fields)


class ModelCache:
    """The registry as of its latest commit, and the artifacts loaded from it."""

    def __init__(self, lh: Lakehouse) -> None:
        self.lh = lh
        self._lock = threading.Lock()
        self._location: str | None = None
        self._versions: list[ModelVersion] = []
        self._loaded: dict[tuple[str, int], Artifact] = {}

    def versions(self) -> list[ModelVersion]:
        """Return every registered version, re-read only when the registry changed."""
        location = self.lh.catalog.metadata_locations().get(registry.MODELS)
        with self._lock:
            if location != self._location:
                self._versions = registry.list_versions(self.lh) if location else []
                self._location = location
            return self._versions

    def production_version(self, name: str) -> ModelVersion:
        """Return the production version of `name` in the registry, or raise 404."""
        versions = self.versions()
        chosen = registry.find_production(versions, name)
        if chosen is None:
            known = any(version.name == name for version in versions)
            detail = "has no production version" if known else "is not registered"
            raise HTTPException(404, detail=f"model {name!r} {detail}")
        return chosen

    def production(self, name: str) -> Artifact:
        """Return the loaded production version of `name`, or raise 404."""
        chosen = self.production_version(name)
        with self._lock:
            key = (chosen.name, chosen.version)
            if key not in self._loaded:
                stale = [loaded for loaded in self._loaded if loaded[0] == name]
                for old in stale:
                    del self._loaded[old]
                self._loaded[key] = registry.load_artifact(self.lh, chosen)
            return self._loaded[key]


router = APIRouter(tags=["models"])
CacheDep = Annotated[ModelCache, Depends(model_cache)]


@router.get("/api/models", summary="The model registry: every version of every model")
def list_models(
    cache: CacheDep,
    queries: QueriesDep,
    name: Annotated[str | None, Query(description="Only this model's versions.")] = None,
) -> list[RegisteredModel]:
    require_whole(queries, registry.MODELS)
    versions = cache.versions()
    return [RegisteredModel.of(v) for v in versions if name in (None, v.name)]


@router.post(
    "/api/models/{name}/predict",
    summary="Predict with a model's production version",
    responses={
        404: {"description": "No such model, or none in production"},
        422: {"description": "Missing or unknown features"},
    },
)
def predict_rows(
    name: str, request: PredictRequest, cache: CacheDep, queries: QueriesDep
) -> Prediction:
    may_predict(queries, cache.production_version(name))
    artifact = cache.production(name)
    _check_features(artifact, request.rows)
    frame = matrix(_arrow(artifact.features, request.rows), artifact.features)
    try:
        values = predict(artifact.estimator, frame)
    except ModelLifecycleError as error:
        raise HTTPException(422, detail=error.message) from None
    return Prediction(
        model=name,
        version=artifact.version,
        predictions=[float(v) if math.isfinite(v) else None for v in values],
    )


def may_predict(queries: QueryService, version: ModelVersion) -> None:
    """Refuse (403) a user who does not read the table `version` learnt from whole: a model
    answers questions about its training rows, so it is read as they are."""
    require_whole(queries, *features_tables(queries.lh, version))


def features_tables(lh: Lakehouse, version: ModelVersion) -> list[TableRef]:
    """Return the table `version` was trained on: the one of its training snapshots whose
    recorded inputs are all the others (every one of them, when none is)."""
    refs = [TableRef(*table.split(".", 1)) for table in version.training_snapshots]
    for ref in refs:
        inputs = set(describe(lh, ref).inputs)
        if {other.identifier for other in refs if other != ref} <= inputs:
            return [ref]
    return refs


def _check_features(artifact: Artifact, rows: list[dict[str, float | None]]) -> None:
    """Raise 422 naming the first row whose features are not exactly the model's."""
    expected = set(artifact.features)
    for position, row in enumerate(rows):
        missing = sorted(expected - set(row))
        extra = sorted(set(row) - expected)
        if missing or extra:
            problems = [
                *([f"missing {', '.join(missing)}"] if missing else []),
                *([f"unknown {', '.join(extra)}"] if extra else []),
            ]
            raise HTTPException(
                422,
                detail=f"row {position}: {'; '.join(problems)}; model {artifact.name!r} "
                f"v{artifact.version} takes exactly: {', '.join(artifact.features)}",
            )


def _arrow(features: list[str], rows: list[dict[str, float | None]]) -> pa.Table:
    return pa.table({f: pa.array([row[f] for row in rows], pa.float64()) for f in features})
