"""`lakebox tokens`: users' API tokens — made (the secret shown once), listed, revoked. A
token stands for its user on the HTTP API (`Authorization: Bearer …`) and as the password
of pg-wire."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lakebox.cli import render
from lakebox.cli.options import JsonOption, ProjectOption
from lakebox.cli.render import Output

if TYPE_CHECKING:
    from lakebox.access.tokens import Token

tokens_app = typer.Typer(help="Create, list and revoke users' API tokens.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the `lakebox tokens` commands to `app`."""
    app.add_typer(tokens_app, name="tokens")


@tokens_app.command("create")
def create(
    user: Annotated[str, typer.Argument(help="The user the token stands for.")],
    label: Annotated[str, typer.Option(help="What the token is for, e.g. 'superset'.")] = "",
    days: Annotated[
        int | None,
        typer.Option(help="How many days it lasts (default: access.token_days, 90)."),
    ] = None,
    project_dir: ProjectOption = Path(),
) -> None:
    """Make a token for a user and print its secret on stdout, once: it is kept only as a
    hash and cannot be shown again."""
    from lakebox.access.changes import grant_change
    from lakebox.cli.access import opened_control

    with opened_control(project_dir) as control:
        token, secret = control.tokens.create(user, label, days)
        grant_change(control, f"token {token.id} created for {user}{_label(token)}")
    print(secret)
    render.errors.print(
        f"token {token.id} for {user}{_label(token)}, valid until {token.expires_at:%Y-%m-%d}. "
        "Copy the secret above now: it is not shown again.",
        style="yellow",
        markup=False,
        highlight=False,
    )


@tokens_app.command("list")
def list_command(
    user: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """List the tokens (never their secrets): owner, label, expiry, last use, status."""
    from lakebox.cli.access import opened_control

    output = Output(as_json=as_json)
    with opened_control(project_dir) as control:
        if user is not None:
            control.users.get(user)
        found = [_document(token) for token in control.tokens.list(user)]
    output.data(found)
    if not found:
        output.say("no tokens: make one with 'lakebox tokens create USER'")
        return
    output.table(
        "tokens",
        ["id", "user", "label", "created", "expires", "last used", "status"],
        [
            [
                one["id"],
                one["user"],
                one["label"],
                f"{one['created_at']:%Y-%m-%d %H:%M}",
                f"{one['expires_at']:%Y-%m-%d %H:%M}",
                f"{one['last_used_at']:%Y-%m-%d %H:%M}" if one["last_used_at"] else "never",
                one["status"],
            ]
            for one in found
        ],
    )


@tokens_app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id ('lakebox tokens list').")],
    project_dir: ProjectOption = Path(),
) -> None:
    """Revoke a token: it stops working at once, on every door."""
    from lakebox.access.changes import grant_change
    from lakebox.cli.access import opened_control

    with opened_control(project_dir) as control:
        if control.tokens.get(token_id).revoked:
            Output().say(f"token {token_id} was revoked already")
            return
        token = control.tokens.revoke(token_id)
        grant_change(control, f"token {token.id} of {token.user} revoked{_label(token)}")
    Output().say(f"token {token.id} of {token.user} revoked")


def _label(token: Token) -> str:
    return f" ({token.label})" if token.label else ""


def _status(token: Token) -> str:
    if token.revoked:
        return "revoked"
    return "usable" if token.usable(datetime.now(UTC)) else "expired"


def _document(token: Token) -> dict[str, Any]:
    return {
        "id": token.id,
        "user": token.user,
        "label": token.label,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "status": _status(token),
    }
