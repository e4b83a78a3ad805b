"""`lakebox glossary`: the business glossary of lakebox.yaml's `glossary:` section — every
term with its definition, or one term with the columns that carry it (declared in the
glossary, linked from the dictionary or inherited) and each column's lineage upstream."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import Output

if TYPE_CHECKING:
    from lakebox.governance.glossary import Term

glossary_app = typer.Typer(
    help="List the business glossary's terms, or show one with its columns and their lineage.",
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    """Add the `lakebox glossary` commands to `app`."""
    app.add_typer(glossary_app, name="glossary")


@glossary_app.callback()
def glossary(
    context: typer.Context, project_dir: ProjectOption = Path(), as_json: JsonOption = False
) -> None:
    """List the glossary's terms (as `lakebox glossary list` does)."""
    if context.invoked_subcommand is None:
        list_command(project_dir, as_json)


@glossary_app.command("list")
def list_command(project_dir: ProjectOption = Path(), as_json: JsonOption = False) -> None:
    """List every term: its definition, synonyms, owner and how many tables and columns
    carry it."""
    from lakebox.governance.dictionary import dictionary
    from lakebox.governance.glossary import terms
    from lakebox.lakehouse import open_project

    output = Output(as_json=as_json)
    with open_project(project_dir) as lh:
        found = terms(lh.config.glossary, dictionary(lh))
    output.data([term.row() for term in found])
    if not found:
        output.say("no glossary terms: declare them under glossary: terms: in lakebox.yaml")
        return
    columns = ["term", "definition", "synonyms", "owner", "tables", "columns"]
    output.table("glossary", columns, [_listed(term) for term in found])


def _listed(term: Term) -> list[Any]:
    columns = sum(1 for carrier in term.carriers if carrier.column)
    tables = len(term.carriers) - columns
    return [term.name, term.definition, ", ".join(term.synonyms), term.owner or "", tables, columns]


@glossary_app.command("show")
def show(
    term: Annotated[str, typer.Argument(help="The term (its name or a synonym, in any case).")],
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """Show a term: its definition, synonyms and owner, the tables and columns that carry it,
    and each column's lineage (the columns upstream of it, nearest first, and how)."""
    from lakebox.access.principal import Principal
    from lakebox.governance import glossary as terms_of
    from lakebox.governance.dictionary import dictionary
    from lakebox.governance.lineage import project_graph
    from lakebox.lakehouse import open_project

    output = Output(as_json=as_json)
    with open_project(project_dir) as lh:
        graph = project_graph(lh)
        found = terms_of.term(lh.config.glossary, dictionary(lh, graph), term)
        who = Principal.local()
        upstream = {c.id: terms_of.upstream_of(graph, c, who) for c in found.carriers if c.column}
    document = found.row()
    for column in document["columns"]:
        column["upstream"] = upstream[f"{column['table']}.{column['column']}"]
    output.data(document)
    _say_term(output, document)


def _say_term(output: Output, term: dict[str, Any]) -> None:
    output.say(f"{term['term']}: {term['definition']}")
    output.say(f"synonyms: {', '.join(term['synonyms']) or 'none'}; owner: {term['owner'] or '—'}")
    if term["tables"]:
        output.say(f"tables: {', '.join(term['tables'])}")
    if not term["columns"]:
        output.say("no column carries it")
        return
    rows = [
        [
            f"{column['table']}.{column['column']}",
            column["via"],
            column["description"] or "",
            "\n".join(f"{s['depth']}. {s['id']} ({s['how']})" for s in column["upstream"]),
        ]
        for column in term["columns"]
    ]
    output.table("columns", ["column", "linked by", "description", "upstream (links away)"], rows)
