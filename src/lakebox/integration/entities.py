"""Entity resolution: `exploitation.<entity>_clusters` and `exploitation.<entity>`.

For each entity declared in lakebox.yaml, the mapped columns of its source tables are read
into one record set, linked and deduplicated by splink (see `linkage`), and written as two
Iceberg tables: every record with its cluster, and one golden record per cluster built by
the survivorship rules. An entity whose sources and settings did not change since its
tables were written is left as it is.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from importlib.metadata import version

from lakebox.catalog import TableRef
from lakebox.catalog.versions import TableVersion
from lakebox.config import EntityConfig
from lakebox.errors import EntityError
from lakebox.exploitation.builder import checks_for
from lakebox.exploitation.publish import Audit, replace_table
from lakebox.ground.sql import quote_identifier, quote_literal
from lakebox.integration import linkage, survivorship, versions
from lakebox.lakehouse import Lakehouse
from lakebox.quality.checks import CheckResult

logger = logging.getLogger(__name__)
INPUTS_PROPERTY = "lakebox.inputs"
SETTINGS_PROPERTY = "lakebox.entity-hash"


@dataclass
class EntityResult:
    """What happened to one entity in a run."""

    entity: str
    status: str  # built | fresh | failed | skipped
    records: int = 0
    clusters: int = 0
    links: int = 0
    seconds: float = 0.0
    error: str | None = None
    checks: list[CheckResult] = field(default_factory=list)
    versions: list[TableVersion] = field(default_factory=list)  # what it published

    @property
    def tables(self) -> set[TableRef]:
        """Return the two tables the entity writes."""
        return outputs(self.entity)


def outputs(entity: str) -> set[TableRef]:
    """Return `exploitation.<entity>` and `exploitation.<entity>_clusters`."""
    return {TableRef("exploitation", entity), TableRef("exploitation", f"{entity}_clusters")}


def resolve(
    lh: Lakehouse, run_id: str, blocked: set[TableRef] | None = None, force: bool = False
) -> list[EntityResult]:
    """Resolve every declared entity; one that fails is reported and the others go on.
    An entity reading a `blocked` table (its blocking checks failed) is skipped."""
    return [
        _resolve_one(lh, name, entity, run_id, blocked or set(), force)
        for name, entity in lh.config.entities.items()
    ]


def _resolve_one(
    lh: Lakehouse,
    name: str,
    entity: EntityConfig,
    run_id: str,
    blocked: set[TableRef],
    force: bool,
) -> EntityResult:
    if any(TableRef.of(source.table) in blocked for source in entity.sources):
        return EntityResult(name, "skipped", error="a source failed its checks")
    started = time.monotonic()
    result = EntityResult(name, "built")
    try:
        inputs = _input_snapshots(lh, name, entity)
        if not force and _fresh(lh, name, entity, inputs):
            return EntityResult(name, "fresh")
        _build(lh, name, entity, run_id, inputs, result)
    except Exception as error:  # lakebox's errors, splink's own and its builtin ones alike
        result.status, result.error = "failed", str(error)
        logger.warning("entity %s failed: %s", name, error)
    result.seconds = time.monotonic() - started
    return result


def _input_snapshots(lh: Lakehouse, name: str, entity: EntityConfig) -> dict[str, int | None]:
    snapshots: dict[str, int | None] = {}
    for source in entity.sources:
        table = lh.catalog.load(TableRef.of(source.table))
        if table is None:
            raise EntityError(
                f"entity {name!r}: table {source.table} does not exist",
                hint="ingest its source first, or fix entities.<name>.sources[].table",
                table=source.table,
            )
        current = table.current_snapshot()
        snapshots[source.table] = current.snapshot_id if current else None
    return snapshots


def _fingerprint(entity: EntityConfig) -> str:
    text = entity.model_dump_json() + version("splink")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _fresh(lh: Lakehouse, name: str, entity: EntityConfig, inputs: dict[str, int | None]) -> bool:
    tables = [lh.catalog.load(ref) for ref in outputs(name)]
    snapshots = [table.current_snapshot() if table else None for table in tables]
    return all(
        snapshot is not None
        and snapshot.summary is not None
        and snapshot.summary.additional_properties.get(SETTINGS_PROPERTY) == _fingerprint(entity)
        and snapshot.summary.additional_properties.get(INPUTS_PROPERTY)
        == json.dumps(inputs, sort_keys=True)
        for snapshot in snapshots
    )


def _build(
    lh: Lakehouse,
    name: str,
    entity: EntityConfig,
    run_id: str,
    inputs: dict[str, int | None],
    result: EntityResult,
) -> None:
    workspace = f"_entity_{name}"
    schema = quote_identifier(workspace)
    lh.refresh()
    lh.engine.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    lh.engine.execute(f"CREATE SCHEMA {schema}")
    try:
        _check_columns(lh, name, entity)
        lh.engine.execute(f"CREATE TABLE {schema}.records AS {_records_sql(entity)}")
        # splink finds a table's columns by its bare name in any schema: make it unique
        compared = f"{workspace}_compared"
        lh.engine.execute(f"CREATE TABLE {schema}.{compared} AS {_compared_sql(entity, schema)}")
        linked = linkage.link(lh, entity, workspace, compared)
        lh.engine.execute(f"CREATE TABLE {schema}.members AS {_members_sql(schema, linked)}")
        _count(lh, schema, linked, result)
        properties = {
            INPUTS_PROPERTY: json.dumps(inputs, sort_keys=True),
            SETTINGS_PROPERTY: _fingerprint(entity),
            "lakebox.entity": name,
        }
        clusters = TableRef("exploitation", f"{name}_clusters")
        made = _write(lh, clusters, _clusters_sql(schema), run_id, properties, result)
        result.versions.append(versions.clusters_version(clusters, made, entity, inputs))
        golden = survivorship.golden_sql(f"{schema}.members", entity)
        made = _write(lh, TableRef("exploitation", name), golden, run_id, properties, result)
        result.versions.append(versions.golden_version(name, made, entity, inputs))
    finally:
        lh.engine.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    lh.refresh()


def _check_columns(lh: Lakehouse, name: str, entity: EntityConfig) -> None:
    for source in entity.sources:
        ref = TableRef.of(source.table)
        described = lh.engine.execute(f"DESCRIBE {_relation(ref)}").fetchall()
        present = {row[0] for row in described}
        for column in [source.id, *source.columns.values()]:
            if column not in present:
                raise EntityError(
                    f"entity {name!r}: {source.table} has no column {column!r} "
                    f"(it has {', '.join(sorted(present))})",
                    hint="fix the source's 'id' or 'columns' in lakebox.yaml",
                    table=source.table,
                    column=column,
                )


def _relation(ref: TableRef) -> str:
    return f"{quote_identifier(ref.zone)}.{quote_identifier(ref.name)}"


def _records_sql(entity: EntityConfig) -> str:
    """Return one row per source record: a numeric id for splink, where it came from, its
    priority and recency, and the entity's columns under their entity names."""
    parts = []
    for source in entity.sources:
        recency = source.columns.get(entity.recency)
        columns = [
            f"{quote_literal(source.table)} AS source_table",
            f"CAST({quote_identifier(source.id)} AS VARCHAR) AS source_id",
            f"{source.priority} AS priority",
            f"{quote_identifier(recency) if recency else 'NULL'} AS {survivorship.RECORDED_AT}",
            *(
                f"{quote_identifier(column)} AS {quote_identifier(entity_column)}"
                for entity_column, column in source.columns.items()
            ),
        ]
        parts.append(f"SELECT {', '.join(columns)} FROM {_relation(TableRef.of(source.table))}")
    union = " UNION ALL BY NAME ".join(parts)
    return (
        "SELECT row_number() OVER (ORDER BY priority, source_table, source_id) AS unique_id, "
        f"* FROM ({union})"
    )


def _compared_sql(entity: EntityConfig, schema: str) -> str:
    """Return the records as splink compares them: text lower-cased, trimmed and without
    accents, dates as dates."""
    blocking = {column for rule in entity.blocking for column in rule}
    kinds = {column: "exact" for column in blocking} | entity.compare
    columns = [
        f"{_normalised(column, kind)} AS {quote_identifier(column)}"
        for column, kind in kinds.items()
    ]
    return f"SELECT unique_id, {', '.join(columns)} FROM {schema}.records"


def _normalised(column: str, kind: str) -> str:
    name = quote_identifier(column)
    if kind == "date":
        return f"TRY_CAST({name} AS DATE)"
    return f"nullif(strip_accents(lower(trim(CAST({name} AS VARCHAR)))), '')"


def _members_sql(schema: str, linked: linkage.Linkage) -> str:
    """Return every record with its cluster (named after its first record by priority) and
    the probability of its strongest link (NULL for a record linked to nothing)."""
    return f"""
        WITH ends AS (
            SELECT unique_id_l AS unique_id, match_probability FROM {linked.links}
            UNION ALL SELECT unique_id_r, match_probability FROM {linked.links}
        ), strongest AS (
            SELECT unique_id, max(match_probability) AS match_probability FROM ends
            GROUP BY unique_id
        )
        SELECT first_value(source_table || ':' || source_id) OVER (
                   PARTITION BY c.cluster_id ORDER BY {survivorship.TIE_BREAK}
               ) AS cluster_id,
               strongest.match_probability, records.*
        FROM {schema}.records AS records
        JOIN {linked.clusters} AS c USING (unique_id)
        LEFT JOIN strongest USING (unique_id)
    """


def _clusters_sql(schema: str) -> str:
    return (
        "SELECT source_table, source_id, cluster_id, match_probability "
        f"FROM {schema}.members ORDER BY cluster_id, source_table, source_id"
    )


def _count(lh: Lakehouse, schema: str, linked: linkage.Linkage, result: EntityResult) -> None:
    row = lh.engine.execute(
        f"SELECT count(*), count(DISTINCT cluster_id), (SELECT count(*) FROM {linked.links}) "
        f"FROM {schema}.members"
    ).fetchone()
    result.records, result.clusters, result.links = (int(value) for value in row or (0, 0, 0))


def _write(
    lh: Lakehouse,
    ref: TableRef,
    select_sql: str,
    run_id: str,
    properties: dict[str, str],
    result: EntityResult,
) -> int:
    """Publish the result of `select_sql` as `ref`, audited by the table's checks; return
    the snapshot published."""
    work = lh.scratch_dir / f"entity-{ref.name}-{run_id}"
    target = work / f"{ref.name}.parquet"
    checks = checks_for(lh, ref)
    audit = Audit(lh, ref, checks) if checks else None
    try:
        lh.engine.copy_to_parquet(select_sql, target)
        published = replace_table(lh, ref, target, run_id, properties, audit)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if audit is not None:
        result.checks += audit.results
    if published is None:
        reason = audit.reason() if audit is not None else "not published"
        raise EntityError(f"{ref.identifier}: {reason}")
    return published
