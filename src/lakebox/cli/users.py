"""`lakebox users`: the people who may use a served project — added, listed, disabled and
enabled, their passwords, roles and attributes changed. Users live in the catalog database;
a password is read at a hidden prompt (twice) or from stdin, never from an option."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lakebox.cli.options import JsonOption, ProjectOption, QuietOption
from lakebox.cli.render import Output
from lakebox.errors import ConfigError

if TYPE_CHECKING:
    from lakebox.access.control import AccessControl
    from lakebox.access.users import User

users_app = typer.Typer(
    help="Add, list, disable and enable users; set their passwords, roles and attributes.",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="The user's name.")]
PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin (for scripts)."
    ),
]


def register(app: typer.Typer) -> None:
    """Add the `lakebox users` commands to `app`."""
    app.add_typer(users_app, name="users")


@users_app.command("add")
def add(
    name: NameArgument,
    role: Annotated[
        list[str],
        typer.Option(help="A role (repeatable): admin, engineer, analyst, viewer or a custom one."),
    ],
    attr: Annotated[
        list[str] | None,
        typer.Option(
            metavar="KEY=VALUE",
            help="An attribute row filters may use as user.KEY (repeatable), e.g. region=EU.",
        ),
    ] = None,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No password: the user signs in with tokens.")
    ] = False,
    password_stdin: PasswordStdinOption = False,
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
) -> None:
    """Add a user with their roles and attributes, and a password asked twice at a hidden
    prompt (or read from stdin with --password-stdin)."""
    from lakebox.access.changes import grant_change

    if no_password and password_stdin:
        raise ConfigError("--no-password and --password-stdin exclude each other")
    attributes = parse_attributes(attr or [])
    with _opened(project_dir) as control:
        if control.users.find(name) is not None:  # said before asking for a password
            raise ConfigError(
                f"a user named {name!r} exists already",
                hint="change their password with 'lakebox users passwd'",
            )
        password = None if no_password else read_password(password_stdin, f"password for {name}")
        user = control.users.add(name, role, password, attributes)
        grant_change(control, f"user {name} added with roles {', '.join(user.roles)}{_attrs(user)}")
    how = "with a password" if password else "without a password (tokens only)"
    Output(quiet).say(f"user {name} added {how}: roles {', '.join(user.roles)}{_attrs(user)}")


@users_app.command("list")
def list_command(project_dir: ProjectOption = Path(), as_json: JsonOption = False) -> None:
    """List the users with their roles, attributes, status and tokens."""
    output = Output(as_json=as_json)
    with _opened(project_dir) as control:
        users = control.users.list()
        tokens = control.tokens.list()
    found = [_document(user, sum(t.user == user.name for t in tokens)) for user in users]
    output.data(found)
    if not found:
        output.say("no users yet: add one with 'lakebox users add NAME --role ROLE'")
        return
    output.table(
        "users",
        ["name", "roles", "attributes", "status", "password", "tokens", "created"],
        [
            [
                one["name"],
                ", ".join(one["roles"]),
                ", ".join(f"{k}={v}" for k, v in one["attributes"].items()),
                "disabled" if one["disabled"] else "enabled",
                "yes" if one["has_password"] else "no",
                one["tokens"],
                f"{one['created_at']:%Y-%m-%d %H:%M}",
            ]
            for one in found
        ],
    )


@users_app.command("disable")
def disable(name: NameArgument, project_dir: ProjectOption = Path()) -> None:
    """Disable a user: their password, tokens and web sessions stop working at once."""
    _set_disabled(project_dir, name, True)


@users_app.command("enable")
def enable(name: NameArgument, project_dir: ProjectOption = Path()) -> None:
    """Enable a disabled user again."""
    _set_disabled(project_dir, name, False)


@users_app.command("passwd")
def passwd(
    name: NameArgument,
    password_stdin: PasswordStdinOption = False,
    project_dir: ProjectOption = Path(),
) -> None:
    """Set a user's password (asked twice, or read from stdin) and end their web sessions;
    their tokens keep working."""
    from lakebox.access.changes import grant_change

    with _opened(project_dir) as control:
        control.users.get(name)
        password = read_password(password_stdin, f"new password for {name}")
        control.users.passwd(name, password)
        control.sessions.end_all(name)
        grant_change(control, f"user {name}: password changed, web sessions ended")
    Output().say(f"password of {name} changed; their web sessions were ended")


@users_app.command("roles")
def roles(
    name: NameArgument,
    role: Annotated[list[str], typer.Argument(help="The user's roles from now on (ROLE ...).")],
    project_dir: ProjectOption = Path(),
) -> None:
    """Replace a user's roles."""
    from lakebox.access.changes import grant_change

    with _opened(project_dir) as control:
        before = control.users.get(name).roles
        control.users.set_roles(name, role)
        after = control.users.get(name).roles
        grant_change(control, f"user {name}: roles {', '.join(before)} -> {', '.join(after)}")
    Output().say(f"roles of {name}: {', '.join(after)}")


@users_app.command("attrs")
def attrs(
    name: NameArgument,
    attribute: Annotated[
        list[str],
        typer.Argument(help="KEY=VALUE (one or more) to set; KEY= alone removes that one."),
    ],
    project_dir: ProjectOption = Path(),
) -> None:
    """Set a user's attributes (those row filters read as user.KEY); the others stay."""
    from lakebox.access.changes import grant_change

    given = parse_attributes(attribute, allow_empty=True)
    with _opened(project_dir) as control:
        attributes = dict(control.users.get(name).attributes)
        for key, value in given.items():
            if value:
                attributes[key] = value
            else:
                attributes.pop(key, None)
        control.users.set_attributes(name, attributes)
        user = control.users.get(name)
        shown = ", ".join(f"{k}={v}" for k, v in given.items())
        grant_change(control, f"user {name}: attributes {shown}")
    Output().say(f"attributes of {name}: {_attrs(user).removeprefix('; attributes ') or 'none'}")


def read_password(from_stdin: bool, prompt: str) -> str:
    """Return a password from the first line of stdin, or asked twice at a hidden prompt."""
    if from_stdin:
        line = sys.stdin.readline()
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            raise ConfigError("no password on stdin", hint='pipe it in: echo "$PW" | lakebox ...')
        return password
    if not sys.stdin.isatty():
        raise ConfigError(
            "no terminal to ask for the password on",
            hint="give --password-stdin and pipe the password in, or --no-password",
        )
    return str(typer.prompt(prompt.capitalize(), hide_input=True, confirmation_prompt=True))


def parse_attributes(pairs: list[str], allow_empty: bool = False) -> dict[str, str]:
    """Return `key=value` pairs as a mapping (ConfigError for one without `=`)."""
    import re

    found: dict[str, str] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        key = key.strip()
        if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ConfigError(
                f"attribute {pair!r} is not KEY=VALUE", hint="e.g. region=EU (KEY: letters, _)"
            )
        if not value and not allow_empty:
            raise ConfigError(f"attribute {key} has no value", hint="e.g. region=EU")
        found[key] = value
    return found


def _set_disabled(project_dir: Path, name: str, disabled: bool) -> None:
    from lakebox.access.changes import grant_change

    word = "disabled" if disabled else "enabled"
    with _opened(project_dir) as control:
        control.users.set_disabled(name, disabled)
        if disabled:
            control.sessions.end_all(name)
        grant_change(control, f"user {name} {word}")
    Output().say(f"user {name} {word}")


def _attrs(user: User) -> str:
    shown = ", ".join(f"{key}={value}" for key, value in sorted(user.attributes.items()))
    return f"; attributes {shown}" if shown else ""


def _document(user: User, tokens: int) -> dict[str, Any]:
    return {
        "name": user.name,
        "roles": list(user.roles),
        "attributes": user.attributes,
        "disabled": user.disabled,
        "has_password": user.has_password,
        "tokens": tokens,
        "created_at": user.created_at,
    }


def _opened(project_dir: Path) -> AbstractContextManager[AccessControl]:
    from lakebox.cli.access import opened_control

    return opened_control(project_dir)
