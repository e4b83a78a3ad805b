"""Batch scoring: a registered model's predictions for every row of a query or table, written
as `analytics.scores_<name>` (the input's other columns, `prediction`, `model_version`,
`scored_at`) in one commit that records the model version and the snapshots read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from lakebox.analysis import registry
from lakebox.analysis.sandbox import (
    ANALYTICS,
    INPUTS_PROPERTY,
    SQL_PROPERTY,
    current_snapshots,
    describe,
    input_tables,
    inputs_json,
    read_pinned,
    source_table,
    write_rows,
)
from lakebox.analysis.training import matrix, predict
from lakebox.catalog import TableRef
from lakebox.errors import ModelLifecycleError
from lakebox.ground.sql import quote_identifier
from lakebox.lakehouse import Lakehouse

PREFIX = "scores_"
ADDED = ("prediction", "model_version", "scored_at")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


@dataclass(frozen=True)
class ScoreReport:
    """Where the scores went and which model version made them."""

    model: str
    version: int
    table: str
    rows: int
    snapshot_id: int | None


def score(
    lh: Lakehouse,
    name: str,
    source: str,
    version: int | None = None,
    keys: list[str] | None = None,
) -> ScoreReport:
    """Score `source` (a query, a `zone.table` or a sandbox name) with model `name`'s
    production version (or `version`); replace `analytics.scores_<name>` with the result."""
    chosen = registry.get(lh, name, version)
    artifact = registry.load_artifact(lh, chosen)
    sql = source_sql(lh, source)
    pinned = current_snapshots(lh, input_tables(lh, sql))
    rows = read_pinned(lh, sql, pinned)
    _check_features(rows, artifact.features, chosen)
    predictions = predict(artifact.estimator, matrix(rows, artifact.features))
    scored = scores_table(rows, keys or _keys(rows, artifact.features), predictions, chosen.version)
    ref = TableRef(ANALYTICS, PREFIX + name)
    properties = {
        SQL_PROPERTY: sql,
        INPUTS_PROPERTY: inputs_json(pinned),
        "lakebox.model": name,
        "lakebox.model-version": str(chosen.version),
    }
    write_rows(lh, ref, scored, properties)
    return ScoreReport(name, chosen.version, ref.identifier, scored.num_rows, _snapshot(lh, ref))


def source_sql(lh: Lakehouse, source: str) -> str:
    """Return a query reading `source`: itself if it is SQL, else the table it names."""
    if not _NAME.match(source.strip()):
        return source
    ref = source_table(lh, source.strip())
    return f"SELECT * FROM {quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"


def scores_table(
    rows: pa.Table, keys: list[str], predictions: np.ndarray, version: int
) -> pa.Table:
    """Return `keys` of `rows` with the predictions, the model version and the time scored."""
    missing = [key for key in keys if key not in rows.column_names]
    if missing:
        raise ModelLifecycleError(
            f"no key column(s) {', '.join(missing)} in the rows scored",
            hint=f"the rows have {', '.join(rows.column_names)}",
        )
    now = datetime.now(UTC)
    return (
        rows.select(keys)
        .append_column("prediction", pa.array(predictions, pa.float64()))
        .append_column("model_version", pa.array([version] * rows.num_rows, pa.int64()))
        .append_column("scored_at", pa.array([now] * rows.num_rows, pa.timestamp("us", tz="UTC")))
    )


def _keys(rows: pa.Table, features: list[str]) -> list[str]:
    """Return the columns kept beside the predictions: every one that is not a feature."""
    return [c for c in rows.column_names if c not in features and c not in ADDED]


def _check_features(rows: pa.Table, features: list[str], version: registry.ModelVersion) -> None:
    missing = [column for column in features if column not in rows.column_names]
    if missing:
        raise ModelLifecycleError(
            f"model {version.name!r} v{version.version} needs column(s) {', '.join(missing)}, "
            "which the rows to score lack",
            hint=f"select {', '.join(features)} in the query to score",
            model=version.name,
        )


def _snapshot(lh: Lakehouse, ref: TableRef) -> int | None:
    return describe(lh, ref).snapshot_id
