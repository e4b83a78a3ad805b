"""`lakebox search`: tables, columns and glossary terms whose names, tags, terms or
descriptions match a text, best first, with the rule that ranked each."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import Output


def register(app: typer.Typer) -> None:
    """Add `lakebox search` to `app`."""
    app.command()(search)


def search(
    text: Annotated[str, typer.Argument(help="What to look for: a name, a tag, words.")],
    limit: Annotated[int, typer.Option(help="At most this many results.", min=1)] = 50,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """Search the tables, columns and glossary terms: an exact name first, then names that
    start with the text, names holding its words, tags and terms, and descriptions."""
    from lakebox.governance import search as searching
    from lakebox.governance.dictionary import dictionary
    from lakebox.lakehouse import open_project

    output = Output(as_json=as_json)
    with open_project(project_dir) as lh:
        hits = searching.search(text, dictionary(lh), lh.config.glossary, limit)
    output.data([hit.row() for hit in hits])
    if not hits:
        output.say(f"nothing matches {text!r}")
        return
    rows = [[hit.kind, hit.name, hit.why, hit.description or ""] for hit in hits]
    output.table(f"found for {text!r}, best first", ["kind", "name", "matched by", "description"],
                 rows)  # fmt: skip
