"""What the project declares about its tables and columns, beside the code: each source's
`description` keys and `docs:` block in lakebox.yaml; each model's YAML file
(`models/<name>.yaml`) and the comments of its SQL — the leading `--` lines describe the table
(the `-- checks:` block excepted), a trailing `-- text` on a projection's line describes that
column. The YAML file comes first, the comments fill what it leaves out. A column the
glossary's `columns:` name carries that term too."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import sqlglot
from pydantic import ValidationError
from sqlglot import exp

from lakebox.config import ProjectConfig, SourceConfig
from lakebox.config.docs import ModelDocs
from lakebox.config.glossary import GlossaryConfig
from lakebox.config.yaml_lines import config_error
from lakebox.config.yaml_loader import read_yaml_file
from lakebox.errors import ConfigError, ModelError

PROJECT = "lakebox.yaml"
BUILT_IN = "lakebox"
# the columns lakebox adds to every formatted and quarantine table
BOOKKEEPING = {
    "_batch_id": "The landing batch the row came from.",
    "_source_file": "The landed file (or pulled object) the row was read from.",
    "_source_line": "The row's line (or record number) in that file.",
    "_ingested_at": "When lakebox committed the row (UTC).",
    "_reason": "Why the row could not be made valid.",
    "_column": "The column whose value could not be made valid.",
    "_raw": "The row as it came from the source.",
}


@dataclass(frozen=True)
class Declared:
    """What one place says about a table or a column; `origin` names where the description
    was declared."""

    description: str | None = None
    owner: str | None = None
    tags: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    origin: str | None = None


@dataclass
class DeclaredTable:
    """What is declared about a table and its columns (by name)."""

    table: Declared = field(default_factory=Declared)
    columns: dict[str, Declared] = field(default_factory=dict)


def declared_docs(config: ProjectConfig, models: Path) -> dict[str, DeclaredTable]:
    """Return what the project declares, by table (`zone.table`): its sources' and its
    models' (every `*.sql` in `models`)."""
    found: dict[str, DeclaredTable] = {}
    for name, source in config.formatted_sources.items():
        where = f"{PROJECT} {'sources' if name in config.sources else 'streams'}.{name}"
        found[f"formatted.{name}"] = source_docs(where, source, config.glossary)
        found[f"quarantine.{name}"] = quarantine_docs(name)
    for path in sorted(models.glob("*.sql")) if models.is_dir() else []:
        found[f"exploitation.{path.stem}"] = model_docs(path, config.glossary)
    return _glossary_links(found, config.glossary)


def _glossary_links(
    found: dict[str, DeclaredTable], glossary: GlossaryConfig
) -> dict[str, DeclaredTable]:
    """Return `found` with each column a glossary term names carrying that term."""
    for name, term in glossary.terms.items():
        for identifier in term.columns:
            zone, table, column = identifier.split(".", 2)
            docs = found.setdefault(f"{zone}.{table}", DeclaredTable())
            declared = docs.columns.get(column, Declared())
            docs.columns[column] = replace(
                declared, terms=tuple(dict.fromkeys((*declared.terms, name)))
            )
    return found


def source_docs(where: str, source: SourceConfig, glossary: GlossaryConfig) -> DeclaredTable:
    """Return what lakebox.yaml declares (at `where`, e.g. `lakebox.yaml sources.sales`) about
    a source's formatted table."""
    docs = source.docs
    table = Declared(
        source.description,
        docs.owner,
        tuple(docs.tags),
        tuple(glossary.canonical(docs.terms, where)),
        where if source.description else None,
    )
    columns = {
        column: Declared(config.description, origin=where if config.description else None)
        for column, config in source.columns.items()
    }
    for column, config in docs.columns.items():
        described = columns.get(column, Declared())
        columns[column] = Declared(
            config.description or described.description,
            tags=tuple(config.tags),
            terms=tuple(glossary.canonical(config.terms, where)),
            origin=where if (config.description or described.description) else None,
        )
    return DeclaredTable(table, {**_bookkeeping(), **columns})


def quarantine_docs(name: str) -> DeclaredTable:
    """Return what lakebox itself says about source `name`'s quarantine table."""
    table = Declared(
        f"Rows of source {name} that could not be made valid, with the reason.",
        origin=BUILT_IN,
    )
    return DeclaredTable(table, _bookkeeping())


def _bookkeeping() -> dict[str, Declared]:
    return {column: Declared(text, origin=BUILT_IN) for column, text in BOOKKEEPING.items()}


def model_docs(path: Path, glossary: GlossaryConfig) -> DeclaredTable:
    """Return what model `path` (`models/<name>.sql`) declares: its YAML file, then its SQL's
    comments for what the YAML leaves out."""
    sql = path.read_text(encoding="utf-8")
    described, columns = sql_comments(sql)
    where = f"{path.parent.name}/{path.name}"
    table = Declared(described, origin=where if described else None)
    found = DeclaredTable(
        table, {name: Declared(text, origin=where) for name, text in columns.items()}
    )
    beside = path.with_suffix(".yaml")
    if beside.is_file():
        found = _over(found, model_yaml(beside), glossary, f"{path.parent.name}/{beside.name}")
    return found


def _over(
    under: DeclaredTable, docs: ModelDocs, glossary: GlossaryConfig, where: str
) -> DeclaredTable:
    """Return `docs` (a model's YAML file) laid over what its SQL comments say."""
    try:
        table = Declared(
            docs.description or under.table.description,
            docs.owner,
            tuple(docs.tags),
            tuple(glossary.canonical(docs.terms, where)),
            where if docs.description else under.table.origin,
        )
        columns = dict(under.columns)
        for name, column in docs.columns.items():
            below = columns.get(name, Declared())
            columns[name] = Declared(
                column.description or below.description,
                tags=tuple(column.tags),
                terms=tuple(glossary.canonical(column.terms, f"{where} columns.{name}")),
                origin=where if column.description else below.origin,
            )
    except ValueError as error:
        hint = "define the term under glossary.terms in lakebox.yaml"
        raise ModelError(str(error), hint=hint, file=where) from None
    return DeclaredTable(table, columns)


def model_yaml(path: Path) -> ModelDocs:
    """Return the docs of a model's YAML file; errors name the file and line."""
    try:
        document = read_yaml_file(path)  # bounded, a key given twice refused
    except ConfigError as error:
        line = error.fields.get("line")
        raise ModelError(error.message, hint=error.hint, file=str(path), line=line) from error
    data, node = document.data or {}, document.node
    try:
        return ModelDocs.model_validate(data)
    except ValidationError as error:
        found = config_error(error, node, str(path))
        raise ModelError(found.message, hint="see docs/governance.md", file=str(path)) from error


def sql_comments(sql: str) -> tuple[str | None, dict[str, str]]:
    """Return the description a model's SQL gives its table (the leading `--` lines, up to a
    `-- checks:` block) and those it gives its columns (a `-- text` comment beside a
    projection), by column name."""
    return _header(sql), _projection_comments(sql)


def _header(sql: str) -> str | None:
    lines = []
    for line in sql.strip().splitlines():
        text = line.strip()
        if not text.startswith("--") or text[2:].strip() == "checks:":
            break
        if text[2:].strip().startswith("incremental:"):
            break
        lines.append(text[2:].strip())
    return " ".join(line for line in lines if line) or None


def _projection_comments(sql: str) -> dict[str, str]:
    try:
        query = sqlglot.parse_one(sql.strip().rstrip(";"), read="duckdb")
    except (sqlglot.errors.SqlglotError, RecursionError):
        return {}  # the build says what is wrong with it
    if not isinstance(query, exp.Query):
        return {}
    found = {}
    for projection in query.selects:
        name = projection.alias_or_name
        texts = [comment.strip() for comment in projection.comments or [] if comment.strip()]
        if name and name != "*" and texts:
            found[name] = " ".join(texts)
    return found
