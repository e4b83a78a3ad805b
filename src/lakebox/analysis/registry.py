"""The model registry `analytics.models`: one row per model version, one Iceberg commit per
change (register, promote, rollback), so the table's snapshots are the registry's history.

A version is `candidate` when registered, `production` when promoted (at most one per name)
and `archived` when another version took its place. Each version's fitted estimator is a
joblib file under the project's storage, `models/<name>/<version>.joblib`. Loading it runs
pickled code: an artifact is trusted code, like the project's own Python, and must only come
from this registry.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from lakebox.analysis.sandbox import ANALYTICS, checked_name, write_rows
from lakebox.catalog import TableRef
from lakebox.errors import ModelLifecycleError
from lakebox.lakehouse import Lakehouse

logger = logging.getLogger(__name__)
MODELS = TableRef(ANALYTICS, "models")
CANDIDATE, PRODUCTION, ARCHIVED = "candidate", "production", "archived"
STATUSES = (CANDIDATE, PRODUCTION, ARCHIVED)
CHANGE_PROPERTY = "lakebox.registry-change"
_TIME = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema(
    [
        ("name", pa.string()),
        ("version", pa.int64()),
        ("flavor", pa.string()),
        ("parameters", pa.string()),
        ("features", pa.string()),
        ("target", pa.string()),
        ("training_snapshots", pa.string()),
        ("metrics", pa.string()),
        ("trained_at", _TIME),
        ("training_seconds", pa.float64()),
        ("status", pa.string()),
        ("artifact", pa.string()),
        ("promoted_at", _TIME),
    ]
)
_JSON_COLUMNS = ("parameters", "features", "training_snapshots", "metrics")


@dataclass(frozen=True)
class ModelVersion:
    """One registered version of a model: how it was trained, how well it did, its status."""

    name: str
    version: int
    flavor: str
    target: str
    features: list[str]
    parameters: dict[str, Any] = field(default_factory=dict)
    training_snapshots: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    trained_at: datetime | None = None
    training_seconds: float = 0.0
    status: str = CANDIDATE
    artifact: str = ""
    promoted_at: datetime | None = None

    def row(self) -> dict[str, Any]:
        """Return the version as a row of `analytics.models` (JSON columns as text)."""
        row = {column: getattr(self, column) for column in SCHEMA.names}
        for column in _JSON_COLUMNS:
            row[column] = json.dumps(row[column], sort_keys=column != "features", default=str)
        return row

    @classmethod
    def of(cls, row: dict[str, Any]) -> ModelVersion:
        """Return the version a row of `analytics.models` holds."""
        parsed = {column: json.loads(row[column] or "null") for column in _JSON_COLUMNS}
        return cls(**{**row, **{key: value for key, value in parsed.items() if value is not None}})


@dataclass(frozen=True)
class Artifact:
    """A loaded model version: the fitted estimator and the columns it takes, in order."""

    name: str
    version: int
    estimator: Any
    features: list[str]
    target: str


def register(lh: Lakehouse, trained: ModelVersion, estimator: Any) -> ModelVersion:
    """Store `estimator` as the next version of `trained.name` (a candidate); return it."""
    import joblib

    versions = list_versions(lh)
    number = 1 + max((v.version for v in versions if v.name == trained.name), default=0)
    checked_name(trained.name, "model")
    relative = f"models/{trained.name}/{number}.joblib"
    local = lh.scratch_dir / f"model-{uuid.uuid4().hex[:12]}.joblib"
    local.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(
        {"estimator": estimator, "features": trained.features, "target": trained.target}, local
    )
    lh.storage.put(local, relative, move=True)
    added = replace(trained, version=number, status=CANDIDATE, artifact=relative, promoted_at=None)
    _write(lh, [*versions, added], f"register {trained.name} v{number}")
    return added


def promote(lh: Lakehouse, name: str, version: int) -> ModelVersion:
    """Make `version` the production version of `name`; the previous one is archived."""
    versions = list_versions(lh)
    chosen = _find(versions, name, version)
    if chosen.status == PRODUCTION:
        return chosen
    now = datetime.now(UTC)
    changed = [_promoted(v, chosen, now) if v.name == name else v for v in versions]
    _write(lh, changed, f"promote {name} v{version}")
    return replace(chosen, status=PRODUCTION, promoted_at=now)


def rollback(lh: Lakehouse, name: str) -> ModelVersion:
    """Put back the version that was in production before the current one; return it.

    The current version is archived and forgets its promotion (so a second rollback goes one
    step further back, not forth); the restored one counts as promoted now.
    """
    versions = list_versions(lh)
    current = get(lh, name, versions=versions)
    previous = _previous_production(versions, current)
    now = datetime.now(UTC)
    restored = replace(previous, status=PRODUCTION, promoted_at=now)
    retired = replace(current, status=ARCHIVED, promoted_at=None)
    swap = {(name, previous.version): restored, (name, current.version): retired}
    changed = [swap.get((v.name, v.version), v) for v in versions]
    _write(lh, changed, f"rollback {name} v{current.version} to v{previous.version}")
    return restored


def get(
    lh: Lakehouse,
    name: str,
    version: int | None = None,
    versions: list[ModelVersion] | None = None,
) -> ModelVersion:
    """Return version `version` of `name`, or its production version when None."""
    versions = list_versions(lh) if versions is None else versions
    if version is not None:
        return _find(versions, name, version)
    found = find_production(versions, name)
    if found is None:
        known = any(v.name == name for v in versions)
        raise ModelLifecycleError(
            f"model {name!r} has no production version"
            if known
            else f"no model named {name!r} is registered",
            hint=f"promote one with 'lakebox models promote {name} VERSION'"
            if known
            else "train one with 'lakebox models train'",
            model=name,
        )
    return found


def find_production(versions: list[ModelVersion], name: str) -> ModelVersion | None:
    """Return the production version of `name` among `versions`, if there is one."""
    return next((v for v in versions if v.name == name and v.status == PRODUCTION), None)


def list_versions(lh: Lakehouse, name: str | None = None) -> list[ModelVersion]:
    """Return every registered version (of `name` only, when given), by name and version."""
    table = lh.catalog.load(MODELS)
    if table is None or table.current_snapshot() is None:
        return []
    rows = table.scan().to_arrow().select(SCHEMA.names).to_pylist()
    versions = [ModelVersion.of(row) for row in rows]
    chosen = [v for v in versions if name is None or v.name == name]
    return sorted(chosen, key=lambda v: (v.name, v.version))


def load_artifact(lh: Lakehouse, version: ModelVersion) -> Artifact:
    """Return the fitted estimator of `version` (unpickled: artifacts are trusted code)."""
    import joblib

    if not lh.storage.exists(version.artifact):
        raise ModelLifecycleError(
            f"model {version.name!r} v{version.version}: its artifact "
            f"{lh.storage.uri(version.artifact)} is missing",
            hint="train and register a new version",
            model=version.name,
        )
    with lh.storage.as_local_file(version.artifact) as path:
        stored = joblib.load(path)
    return Artifact(
        version.name, version.version, stored["estimator"], stored["features"], stored["target"]
    )


def _find(versions: list[ModelVersion], name: str, version: int) -> ModelVersion:
    found = next((v for v in versions if v.name == name and v.version == version), None)
    if found is None:
        known = [str(v.version) for v in versions if v.name == name]
        raise ModelLifecycleError(
            f"model {name!r} has no version {version} (versions: {', '.join(known) or 'none'})",
            hint="list them with 'lakebox models list'",
            model=name,
        )
    return found


def _previous_production(versions: list[ModelVersion], current: ModelVersion) -> ModelVersion:
    """Return the archived version of the same name promoted last before `current`."""
    since = current.promoted_at
    earlier = [
        v
        for v in versions
        if v.name == current.name
        and v.status == ARCHIVED
        and v.promoted_at
        and since
        and v.promoted_at < since
    ]
    if not earlier:
        raise ModelLifecycleError(
            f"model {current.name!r} has no earlier production version to roll back to",
            hint=f"promote a version with 'lakebox models promote {current.name} VERSION'",
            model=current.name,
        )
    return max(earlier, key=lambda v: v.promoted_at or since)


def _promoted(version: ModelVersion, chosen: ModelVersion, now: datetime) -> ModelVersion:
    if version.version == chosen.version:
        return replace(version, status=PRODUCTION, promoted_at=now)
    if version.status == PRODUCTION:
        return replace(version, status=ARCHIVED)
    return version


def _write(lh: Lakehouse, versions: list[ModelVersion], change: str) -> None:
    """Replace the registry's content by `versions` in one commit that says what changed."""
    rows = pa.Table.from_pylist([v.row() for v in versions], schema=SCHEMA)
    write_rows(lh, MODELS, rows, {CHANGE_PROPERTY: change})
    logger.info("model registry: %s", change)
