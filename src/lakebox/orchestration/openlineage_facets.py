"""The datasets of each kind of run step, as OpenLineage names them, with their facets.

Every dataset is named as lakebox's lineage graph names its table (`landing.sales`,
`formatted.sales`, `exploitation.totals`, `analytics.anomalies`) in the project's namespace.
A formatted table's column lineage comes from its source's config (each landing column into
the formatted column it becomes); a model's from its parsed SQL (`lakebox.exploitation.lineage`):
the columns a value is passed, transformed or aggregated from, and the columns that filter,
join or group its rows (the facet's `dataset` list).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    data_quality_assertions_dataset,
    dataset_version_dataset,
    output_statistics_output_dataset,
    schema_dataset,
)

from lakebox.catalog import TableRef
from lakebox.config.columns import ColumnConfig
from lakebox.exploitation.builder import INPUTS_PROPERTY, BuildResult, planned
from lakebox.exploitation.lineage import Edge, Lineage
from lakebox.exploitation.lineages import lineage_of, table_columns
from lakebox.exploitation.model import Model
from lakebox.formatted.lineage import cleaning_rules, raw_names
from lakebox.formatted.schema import META_COLUMNS
from lakebox.lakehouse import Lakehouse
from lakebox.quality.checks import CheckResult

logger = logging.getLogger(__name__)
# How lakebox says a column reaches another → OpenLineage's transformation (type, subtype).
TRANSFORMATIONS = {
    "passed": ("DIRECT", "IDENTITY"),
    "transformed": ("DIRECT", "TRANSFORMATION"),
    "aggregated": ("DIRECT", "AGGREGATION"),
    "filtered": ("INDIRECT", "FILTER"),
    "joined": ("INDIRECT", "JOIN"),
    "grouped": ("INDIRECT", "GROUP_BY"),
}


@dataclass
class Datasets:
    """The inputs and outputs of one step."""

    inputs: list[InputDataset] = field(default_factory=list)
    outputs: list[OutputDataset] = field(default_factory=list)

    def __add__(self, other: Datasets) -> Datasets:
        return Datasets(self.inputs + other.inputs, self.outputs + other.outputs)


@dataclass(frozen=True)
class Built:
    """A model a build step ran: its result, its SQL and its traced lineage (None when its
    SQL could not be traced)."""

    result: BuildResult
    model: Model
    lineage: Lineage | None


# -- sources: landing → formatted --------------------------------------------------------------


def source_datasets(lh: Lakehouse, namespace: str, name: str, facets: bool = True) -> Datasets:
    """Return the landing objects of source `name` as input and its formatted table as
    output; with `facets`, their schemas and the column lineage between them."""
    landing, formatted = TableRef("landing", name), TableRef("formatted", name)
    if not facets:
        return Datasets([_input(namespace, landing)], [_output(namespace, formatted)])
    source = lh.config.formatted_sources[name]
    columns = [
        c for c in _formatted_columns(lh, formatted, source.columns) if c not in META_COLUMNS
    ]
    raw = {column: raw_names(column, source.columns.get(column)) for column in columns}
    landing_fields = list(dict.fromkeys(name for names in raw.values() for name in names))
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            column: column_lineage_dataset.Fields(
                inputFields=[
                    _input_field(
                        namespace,
                        landing,
                        raw_name,
                        _cleaning(source.columns, column),
                        cleaning_rules(source.columns.get(column)),
                    )
                    for raw_name in names
                ]
            )
            for column, names in raw.items()
        }
    )
    described = {column: config.description for column, config in source.columns.items()}
    output_facets = {
        **_table_facets(lh, formatted, described),
        "columnLineage": lineage,
    }
    return Datasets(
        [_input(namespace, landing, {"schema": _schema([(f, None) for f in landing_fields])})],
        [_output(namespace, formatted, output_facets)],
    )


def _formatted_columns(
    lh: Lakehouse, ref: TableRef, declared: dict[str, ColumnConfig]
) -> list[str]:
    """Return the columns of a formatted table: its committed ones, else those declared."""
    committed = [name for name, _ in _columns(lh, ref)]
    return committed or list(declared)


def _cleaning(declared: dict[str, ColumnConfig], column: str) -> tuple[str, str]:
    """Return how formatting makes a column: a declared one is cast (and cleaned) as its
    config says; an undeclared one keeps its value with an inferred type."""
    return ("DIRECT", "TRANSFORMATION") if column in declared else ("DIRECT", "IDENTITY")


# -- models --------------------------------------------------------------------------------------


def traced_models(lh: Lakehouse, names: Iterable[str]) -> dict[str, tuple[Model, Lineage | None]]:
    """Return the models `names` with their column lineage against the tables as they are
    now (a model whose SQL cannot be traced: None, never an error)."""
    wanted = set(names)
    ordered, _ = planned(lh)  # a model that cannot be built has no lineage to send
    schema = table_columns(lh)
    known = {model.name for model in ordered}
    found: dict[str, tuple[Model, Lineage | None]] = {}
    for model in ordered:
        try:
            lineage: Lineage | None = lineage_of(model, schema, known)
        except Exception as error:  # an untraceable model is sent without its lineage
            logger.info("model %s: column lineage not traced: %s", model.name, error)
            lineage = None
        schema[model.ref] = lineage.columns if lineage else schema.get(model.ref, [])
        if model.name in wanted:
            found[model.name] = (model, lineage)
    return found


def model_datasets(lh: Lakehouse, namespace: str, built: Built, facets: bool = True) -> Datasets:
    """Return the tables a model reads as inputs and its table as output; with `facets`,
    their schemas, the snapshots read and written, and the output's column lineage."""
    refs = list(dict.fromkeys(reference.table for reference in built.model.references))
    target = built.model.ref
    if not facets:
        return Datasets([_input(namespace, ref) for ref in refs], [_output(namespace, target)])
    read = _snapshots_read(lh, target) if built.result.status == "built" else {}
    inputs = [
        _input(namespace, ref, _table_facets(lh, ref, version=read.get(ref.identifier)))
        for ref in refs
    ]
    output_facets = _table_facets(lh, target) if built.result.status == "built" else {}
    if built.lineage is not None:
        output_facets["columnLineage"] = column_lineage(namespace, built.lineage)
    statistics = {}
    if built.result.rows is not None:
        statistics["outputStatistics"] = (
            output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=built.result.rows
            )
        )
    return Datasets(inputs, [_output(namespace, target, output_facets, statistics)])


def column_lineage(
    namespace: str, lineage: Lineage
) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    """Return a model's lineage as the facet: each output column's input columns, and the
    columns that shape every row under `dataset`."""
    fields = {
        column: column_lineage_dataset.Fields(
            inputFields=[
                _edge_field(namespace, edge) for edge in lineage.edges if edge.column == column
            ]
        )
        for column in lineage.columns
    }
    shaping = [_edge_field(namespace, edge) for edge in lineage.edges if not edge.column]
    return column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields, dataset=shaping)


def _edge_field(namespace: str, edge: Edge) -> column_lineage_dataset.InputField:
    return _input_field(namespace, edge.table, edge.source, TRANSFORMATIONS[edge.how])


def _snapshots_read(lh: Lakehouse, target: TableRef) -> dict[str, str]:
    """Return the snapshot of each table the current snapshot of `target` was built from."""
    table = lh.catalog.load(target)
    snapshot = table.current_snapshot() if table is not None else None
    if snapshot is None or snapshot.summary is None:
        return {}
    recorded = snapshot.summary.additional_properties.get(INPUTS_PROPERTY)
    try:
        read = json.loads(recorded) if recorded else {}
    except ValueError:
        return {}
    return {name: str(snapshot_id) for name, snapshot_id in read.items() if snapshot_id is not None}


# -- checks, forecasts, anomaly rules --------------------------------------------------------------


def checks_datasets(lh: Lakehouse, namespace: str, checks: list[CheckResult]) -> Datasets:
    """Return each table checked as an input, with its checks' outcomes as assertions."""
    by_table: dict[str, list[CheckResult]] = {}
    for check in checks:
        by_table.setdefault(check.table, []).append(check)
    inputs = []
    for name, found in by_table.items():
        ref = _ref(name)
        if ref is None:
            continue
        assertions = data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
            assertions=[_assertion(check) for check in found]
        )
        inputs.append(_input(namespace, ref, own={"dataQualityAssertions": assertions}))
    return Datasets(inputs)


def _assertion(check: CheckResult) -> data_quality_assertions_dataset.Assertion:
    return data_quality_assertions_dataset.Assertion(
        assertion=check.kind,
        success=check.status == "pass",
        severity=check.severity,
        name=check.check,
        description=check.message or None,
    )


def forecast_datasets(lh: Lakehouse, namespace: str, name: str, facets: bool = True) -> Datasets:
    """Return a forecast's table as input and the two tables it writes as outputs."""
    from lakebox.analysis.forecast.tables import table_refs

    config = lh.config.forecasts.get(name)
    source = _ref(config.table) if config is not None and config.table else None
    inputs = (
        [_input(namespace, source, _table_facets(lh, source) if facets else {})] if source else []
    )
    outputs = [
        _output(namespace, ref, _table_facets(lh, ref) if facets else {})
        for ref in table_refs(name)
    ]
    return Datasets(inputs, outputs)


def anomalies_datasets(
    lh: Lakehouse, namespace: str, rules: list[str] | None, facets: bool = True
) -> Datasets:
    """Return the tables the anomaly rules (`rules`, default all) read, and the table of
    anomalies they write."""
    from lakebox.analysis.anomalies.store import ANOMALIES

    chosen = rules or list(lh.config.anomalies)
    tables = dict.fromkeys(
        ref
        for rule in chosen
        if rule in lh.config.anomalies
        for ref in [_ref(lh.config.anomalies[rule].table)]
        if ref is not None
    )
    inputs = [_input(namespace, ref, _table_facets(lh, ref) if facets else {}) for ref in tables]
    output = _output(namespace, ANOMALIES, _table_facets(lh, ANOMALIES) if facets else {})
    return Datasets(inputs, [output])


# -- tables ----------------------------------------------------------------------------------------


def _table_facets(
    lh: Lakehouse,
    ref: TableRef,
    described: dict[str, str | None] | None = None,
    version: str | None = None,
) -> dict:
    """Return a table's schema and the version (Iceberg snapshot id) now current, or
    `version` when given; nothing for a table not committed yet."""
    columns = _columns(lh, ref)
    found: dict = {}
    if columns:
        described = described or {}
        found["schema"] = _schema([(name, kind) for name, kind in columns], described)
    current = version or _current_snapshot(lh, ref)
    if current is not None:
        found["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=current
        )
    return found


def _columns(lh: Lakehouse, ref: TableRef) -> list[tuple[str, str]]:
    table = lh.catalog.load(ref)
    if table is None:
        return []
    return [(column.name, str(column.field_type)) for column in table.schema().columns]


def _current_snapshot(lh: Lakehouse, ref: TableRef) -> str | None:
    table = lh.catalog.load(ref)
    snapshot = table.current_snapshot() if table is not None else None
    return str(snapshot.snapshot_id) if snapshot is not None else None


def _schema(
    columns: list[tuple[str, str | None]], described: dict[str, str | None] | None = None
) -> schema_dataset.SchemaDatasetFacet:
    described = described or {}
    return schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(
                name=name, type=kind, description=described.get(name), ordinal_position=number
            )
            for number, (name, kind) in enumerate(columns, start=1)
        ]
    )


def _input_field(
    namespace: str, ref: TableRef, column: str, how: tuple[str, str], description: str = ""
) -> column_lineage_dataset.InputField:
    kind, subtype = how
    return column_lineage_dataset.InputField(
        namespace=namespace,
        name=ref.identifier,
        field=column,
        transformations=[
            column_lineage_dataset.Transformation(
                type=kind, subtype=subtype, description=description or None, masking=False
            )
        ],
    )


def _input(
    namespace: str, ref: TableRef, facets: dict | None = None, own: dict | None = None
) -> InputDataset:
    """Return an input dataset with its `facets` and its input facets (`own`)."""
    return InputDataset(
        namespace=namespace, name=ref.identifier, facets=facets or {}, inputFacets=own or {}
    )


def _output(
    namespace: str, ref: TableRef, facets: dict | None = None, own: dict | None = None
) -> OutputDataset:
    """Return an output dataset with its `facets` and its output facets (`own`)."""
    return OutputDataset(
        namespace=namespace, name=ref.identifier, facets=facets or {}, outputFacets=own or {}
    )


def _ref(name: str) -> TableRef | None:
    """Return the table `zone.table` names (None: not such a name)."""
    zone, dot, table = name.partition(".")
    return TableRef(zone, table) if dot and zone and table else None
