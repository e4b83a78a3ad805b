"""`lakebox access show`: the roles with what they read and may do (through `extends`), the
tags, masks and row filters of lakebox.yaml's `access:` section; for one user, what they may
read table by table. Also how the access commands open a project's access control."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import Output, plain

if TYPE_CHECKING:
    from lakebox.access.control import AccessControl
    from lakebox.access.overview import TableView
    from lakebox.access.users import User
    from lakebox.config.access import AccessConfig

access_app = typer.Typer(help="Show roles, grants, masks and row filters.", no_args_is_help=True)
LAPTOP = (
    "no access: section in lakebox.yaml: served on 127.0.0.1, nobody signs in (laptop mode); "
    "served on another address, every request needs a user, with the built-in roles"
)
CONFIGURED = "the access: section is in force: every request to a served door needs a user"


def register(app: typer.Typer) -> None:
    """Add the `lakebox access` commands to `app`."""
    app.add_typer(access_app, name="access")


@contextmanager
def opened_control(project_dir: Path) -> Iterator[AccessControl]:
    """Open the project and yield its access control, having noted a change of its access
    section; write the audit entries made meanwhile before the project closes."""
    from lakebox.access.changes import note_config
    from lakebox.access.control import access_control
    from lakebox.lakehouse import open_project

    with open_project(project_dir) as lh:
        control = access_control(lh)
        note_config(control)
        try:
            yield control
        finally:
            control.audit.flush()


@access_app.command("show")
def show(
    user: Annotated[
        str | None, typer.Option(help="Show this user's grants and the tables they may read.")
    ] = None,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """Show the roles (built-in and custom, with the reads and abilities they end up with
    through extends), tags, masks and row filters; with --user, that user's grants and the
    tables they may read, with the masks and row filters on each."""
    from lakebox.access import overview
    from lakebox.access.relations import Relations

    output = Output(as_json=as_json)
    with opened_control(project_dir) as control:
        config = control.config
        document: dict[str, Any] = {
            "configured": control.configured,
            "roles": plain(overview.roles(config)),
            "tags": config.tags,
            "masks": [mask.model_dump() for mask in config.masks],
            "row_filters": [rule.model_dump() for rule in config.row_filters],
        }
        found = control.users.get(user) if user is not None else None
        if found is not None:
            tables, _, _ = Relations().of(control.lh)
            principal = control.principal(found)
            views = overview.readable_tables(principal, tables)
            document["user"] = _user_document(found, principal.reads, principal.abilities, views)
            document["user"]["other_tables"] = len(tables) - len(views)
    output.data(document)
    if found is None:
        _show_section(output, control.configured, config)
    else:
        _show_user(output, document["user"], views)


def _show_section(output: Output, configured: bool, config: AccessConfig) -> None:
    from lakebox.access import overview

    output.say(CONFIGURED if configured else LAPTOP)
    output.table(
        "roles",
        ["role", "kind", "extends", "reads", "can", "description"],
        [
            [r.name, r.kind, r.extends or "", _joined(r.reads), _joined(r.abilities), r.description]
            for r in overview.roles(config)
        ],
    )
    if config.tags:
        output.table(
            "tags", ["tag", "columns"], [[tag, _joined(cols)] for tag, cols in config.tags.items()]
        )
    if config.masks:
        output.table(
            "masks",
            ["column or tag", "mask", "unmasked for"],
            [[m.column or f"tag {m.tag}", m.mask, _joined(m.unmasked_for)] for m in config.masks],
        )
    if config.row_filters:
        output.table(
            "row filters",
            ["table", "where", "unfiltered for"],
            [[f.table, f.where, _joined(f.unfiltered_for)] for f in config.row_filters],
        )


def _show_user(output: Output, user: dict[str, Any], views: list[TableView]) -> None:
    status = " (disabled)" if user["disabled"] else ""
    attributes = _joined(f"{k}={v}" for k, v in user["attributes"].items()) or "none"
    output.say(
        f"user {user['name']}{status}: roles {_joined(user['roles'])}; "
        f"attributes {attributes}\nreads {_joined(user['reads']) or 'nothing'}; "
        f"can {_joined(user['abilities']) or 'only read pages and dashboards'}"
    )
    output.table(
        f"tables {user['name']} may read",
        ["table", "columns", "masks", "row filters"],
        [
            [
                view.table,
                "all" if view.columns is None else f"only {_joined(view.columns)}",
                _joined(f"{column}: {mask}" for column, mask in view.masks.items()),
                _filters(view),
            ]
            for view in views
        ],
    )
    if user["other_tables"]:
        output.say(f"{user['other_tables']} other table(s) are refused to {user['name']}")


def _filters(view: TableView) -> str:
    text = " AND ".join(f"({where})" for where in view.row_filters)
    if view.missing_attributes:
        missing = ", ".join(f"user.{name}" for name in view.missing_attributes)
        text += f" — no rows: {missing} not set"
    return text


def _user_document(
    user: User, reads: tuple[str, ...], abilities: frozenset[str], views: list[TableView]
) -> dict[str, Any]:
    return {
        "name": user.name,
        "roles": list(user.roles),
        "attributes": user.attributes,
        "disabled": user.disabled,
        "reads": list(reads),
        "abilities": sorted(abilities),
        "tables": plain(views),
    }


def _joined(values: Any) -> str:
    return ", ".join(str(value) for value in values)
