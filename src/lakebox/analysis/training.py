"""Training: fit an estimator on the part of a sandbox or feature table before a time cutoff,
score it on the part after, and register the fitted model as a new candidate version with its
validation metrics and the snapshot ids of the data it learned from.

Estimators are scikit-learn's (and LightGBM's) and come with the `ml` extra
(`pip install 'lakebox[ml]'`).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from lakebox.analysis import registry
from lakebox.analysis.choices import DEFAULT_FLAVOR, FLAVORS
from lakebox.analysis.registry import ModelVersion
from lakebox.analysis.sandbox import describe, source_table
from lakebox.analysis.split import DEFAULT_VALIDATION, Split, guess_time_column, time_split
from lakebox.catalog import TableRef
from lakebox.engine.duckdb import snapshot_scan
from lakebox.errors import ModelLifecycleError
from lakebox.lakehouse import Lakehouse

# Settings that make fits repeatable and use every core given to the project.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "linear": {},
    "ridge": {"alpha": 1.0},
    "random_forest": {"n_estimators": 200, "random_state": 0},
    "lightgbm": {"n_estimators": 200, "random_state": 0, "verbose": -1},
}


def train(
    lh: Lakehouse,
    name: str,
    source: str,
    target: str,
    features: list[str],
    flavor: str = DEFAULT_FLAVOR,
    time_column: str | None = None,
    validation: float = DEFAULT_VALIDATION,
    cutoff: str | None = None,
    parameters: dict[str, Any] | None = None,
) -> ModelVersion:
    """Fit `flavor` on `source` before the cutoff, validate on the rest, register the model;
    return the new candidate version. `source` is a sandbox name or a `zone.table`."""
    ref = source_table(lh, source)
    rows, snapshots = _read(lh, ref)
    _check_columns(rows, ref, [target, *features])
    split = time_split(rows, time_column or guess_time_column(rows.schema), cutoff, validation)
    estimator = make_estimator(flavor, parameters or {}, cores(lh))
    started = time.perf_counter()
    _fit(estimator, matrix(split.train, features, ref), _target(split.train, target, ref))
    seconds = time.perf_counter() - started
    predicted = predict(estimator, matrix(split.validation, features, ref))
    trained = ModelVersion(
        name=name,
        version=0,
        flavor=flavor,
        target=target,
        features=list(features),
        parameters=_parameters(estimator, split),
        training_snapshots=snapshots,
        metrics=metrics(_target(split.validation, target, ref), predicted),
        trained_at=datetime.now(UTC),
        training_seconds=seconds,
    )
    return registry.register(lh, trained, estimator)


def make_estimator(flavor: str, parameters: dict[str, Any], threads: int) -> Any:
    """Return an unfitted estimator of `flavor` with `parameters` over the defaults."""
    if flavor not in FLAVORS:
        raise ModelLifecycleError(
            f"unknown model {flavor!r}", hint=f"choose one of {', '.join(FLAVORS)}"
        )
    estimator = _estimator_class(flavor)()
    settings = {**_DEFAULTS[flavor], **parameters}
    if "n_jobs" in estimator.get_params() and flavor != "linear":
        settings.setdefault("n_jobs", threads)
    try:
        return estimator.set_params(**settings)
    except (ValueError, TypeError) as error:
        raise ModelLifecycleError(
            f"model {flavor!r} does not take these parameters: {error}",
            hint=f"see the parameters of {type(estimator).__name__} in its library's docs",
        ) from None


def cores(lh: Lakehouse) -> int:
    """Return how many threads a fit may use: the engine's setting, else every core."""
    return lh.config.engine.threads or os.cpu_count() or 1


def matrix(rows: pa.Table, features: list[str], ref: TableRef | None = None) -> pd.DataFrame:
    """Return the feature columns as a float DataFrame, in `features` order."""
    columns = {}
    for column in features:
        try:
            columns[column] = rows[column].cast(pa.float64()).to_numpy()
        except (pa.ArrowException, KeyError) as error:
            where = f" of {ref.identifier}" if ref else ""
            raise ModelLifecycleError(
                f"feature {column!r}{where} is not a number ({error})",
                hint="derive a numeric feature from it (e.g. a CASE expression in the sandbox)",
                column=column,
            ) from None
    return pd.DataFrame(columns, columns=features)


def predict(estimator: Any, frame: pd.DataFrame) -> np.ndarray:
    """Return the estimator's predictions for `frame` as floats."""
    try:
        return np.asarray(estimator.predict(frame), dtype=float)
    except ValueError as error:
        raise ModelLifecycleError(f"the model cannot predict these rows: {error}") from None


def metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float | int | None]:
    """Return validation MAE, RMSE, MAPE (%, over non-zero actuals), R² and the row count."""
    errors = predicted - actual
    nonzero = actual != 0
    spread = float(np.sum((actual - actual.mean()) ** 2))
    return {
        "mae": float(np.mean(np.abs(errors))),
        "rmse": float(np.sqrt(np.mean(errors**2))),
        "mape": float(np.mean(np.abs(errors[nonzero] / actual[nonzero])) * 100)
        if nonzero.any()
        else None,
        "r2": 1 - float(np.sum(errors**2)) / spread if spread > 0 else None,
        "rows": int(actual.size),
    }


def _estimator_class(flavor: str) -> type:
    try:
        if flavor == "lightgbm":
            from lightgbm import LGBMRegressor

            return LGBMRegressor
        from sklearn.ensemble import RandomForestRegressor
        from sklearn.linear_model import LinearRegression, Ridge
    except ImportError as error:
        raise ModelLifecycleError(
            f"model {flavor!r} needs {error.name}, which is not installed",
            hint="pip install 'lakebox[ml]'",
        ) from None
    return {"linear": LinearRegression, "ridge": Ridge, "random_forest": RandomForestRegressor}[
        flavor
    ]


def _read(lh: Lakehouse, ref: TableRef) -> tuple[pa.Table, dict[str, int]]:
    """Return the table at its current snapshot, and the snapshots it was made from."""
    frozen = describe(lh, ref)
    if frozen.snapshot_id is None:
        raise ModelLifecycleError(f"{ref.identifier} has no rows to train on", table=ref.identifier)
    location = lh.catalog.metadata_locations()[ref]
    rows = lh.engine.arrow(f"SELECT * FROM {snapshot_scan(location, frozen.snapshot_id)}")
    return rows, {ref.identifier: frozen.snapshot_id, **frozen.inputs}


def _check_columns(rows: pa.Table, ref: TableRef, columns: list[str]) -> None:
    missing = [column for column in columns if column not in rows.column_names]
    if missing:
        raise ModelLifecycleError(
            f"{ref.identifier} has no column(s) {', '.join(missing)} "
            f"(it has {', '.join(rows.column_names)})",
            hint="check --target and --feature",
            table=ref.identifier,
        )


def _target(rows: pa.Table, target: str, ref: TableRef) -> np.ndarray:
    values = rows[target]
    if values.null_count:
        raise ModelLifecycleError(
            f"target {target!r} of {ref.identifier} has {values.null_count} empty values",
            hint=f"filter them out in the sandbox's SQL (WHERE {target} IS NOT NULL)",
            column=target,
        )
    return matrix(rows, [target], ref)[target].to_numpy()


def _fit(estimator: Any, features: pd.DataFrame, target: np.ndarray) -> None:
    try:
        estimator.fit(features, target)
    except ValueError as error:
        raise ModelLifecycleError(
            f"the model cannot be fitted: {error}",
            hint="empty feature values need a model that takes them (lightgbm, random_forest) "
            "or filling in the sandbox (coalesce)",
        ) from None


def _parameters(estimator: Any, split: Split) -> dict[str, Any]:
    """Return the estimator's settings and the split's, as JSON-able values."""
    settings = {
        key: value
        for key, value in estimator.get_params().items()
        if isinstance(value, str | int | float | bool) or value is None
    }
    described = {f"split.{key}": value for key, value in split.describe().items()}
    return json.loads(json.dumps({**settings, **described}, default=str))
