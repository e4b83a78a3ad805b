"""`lakebox users`: adding users with a password from stdin (never an option), listing them,
disabling and enabling, new passwords ending web sessions, roles and attributes — each a
grant change in the audit log, all kept in the project's catalog database."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakebox.access.control import AccessControl, access_control
from lakebox.errors import AuthError
from lakebox.lakehouse import open_project
from tests.cli.conftest import lakebox as run_lakebox
from tests.cli.conftest import new_project, with_access


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return with_access(new_project(tmp_path_factory.mktemp("users")))


def add(project: Path, name: str, *options: str, password: str = "correct horse\n"):
    added = run_lakebox(
        "users", "add", name, *options, "--password-stdin", cwd=project, stdin=password
    )
    assert added.returncode == 0, added.stderr
    return added


@pytest.fixture(scope="module")
def control(project: Path) -> Iterator[AccessControl]:
    """The project's access control, opened in the test's process beside the commands."""
    with open_project(project) as lh:
        yield access_control(lh)


def grant_changes(control: AccessControl) -> list[str]:
    return [entry["detail"] for entry in control.audit.entries(action="grant change")]


def test_add_reads_the_password_from_stdin_and_lists_the_user(project, control):
    added = add(project, "ann", "--role", "eu_analyst", "--attr", "max_id=3")
    assert added.stdout.strip() == (
        "user ann added with a password: roles eu_analyst; attributes max_id=3"
    )
    listed = json.loads(run_lakebox("users", "list", "--json", cwd=project).stdout)
    [ann] = [user for user in listed if user["name"] == "ann"]
    assert ann["roles"] == ["eu_analyst"] and ann["attributes"] == {"max_id": "3"}
    assert ann["has_password"] and not ann["disabled"] and ann["tokens"] == 0
    assert control.users.check_password("ann", "correct horse").name == "ann"
    assert "user ann added with roles eu_analyst; attributes max_id=3" in grant_changes(control)
    table = run_lakebox("users", "list", cwd=project).stdout
    assert "ann" in table and "eu_analyst" in table and "max_id=3" in table


def test_several_roles_and_no_password(project, control):
    added = run_lakebox(
        "users", "add", "bot", "--role", "viewer", "--role", "analyst", "--no-password",
        cwd=project,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "without a password (tokens only): roles viewer, analyst" in added.stdout
    bot = control.users.get("bot")
    assert bot.roles == ("viewer", "analyst") and not bot.has_password


@pytest.mark.parametrize(
    ("options", "stdin", "message"),
    [
        ((), "", "error: no terminal to ask for the password on"),
        (("--password-stdin",), "", "error: no password on stdin"),
        (("--password-stdin",), "short\n", "at least 8 characters"),
        (("--no-password", "--password-stdin"), "", "exclude each other"),
        (("--no-password", "--attr", "region"), "", "attribute 'region' is not KEY=VALUE"),
        (("--no-password", "--role", "boss"), "", "unknown role 'boss'"),
    ],
)
def test_add_refuses_what_is_missing_or_wrong(project, control, options, stdin, message):
    role = () if "--role" in options else ("--role", "viewer")
    refused = run_lakebox("users", "add", "carl", *role, *options, cwd=project, stdin=stdin)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert message in refused.stderr
    assert control.users.find("carl") is None


def test_the_password_is_no_option(project):
    refused = run_lakebox("users", "add", "dan", "--role", "viewer", "--password", "x" * 9,
                          cwd=project)  # fmt: skip
    assert refused.returncode == 2 and "No such option: --password" in refused.stderr


def test_passwd_changes_the_password_and_ends_the_web_sessions(project, control):
    add(project, "erin", "--role", "viewer")
    session_id, _ = control.sessions.start(control.users.get("erin"))
    _, secret = control.tokens.create("erin")
    changed = run_lakebox(
        "users", "passwd", "erin", "--password-stdin", cwd=project, stdin="battery staple\n"
    )
    assert changed.returncode == 0, changed.stderr
    assert control.sessions.find(session_id) is None
    assert control.users.check_password("erin", "battery staple").name == "erin"
    with pytest.raises(AuthError):
        control.users.check_password("erin", "correct horse")
    assert control.tokens.check(secret).name == "erin"  # tokens keep working
    assert "user erin: password changed, web sessions ended" in grant_changes(control)


def test_disable_and_enable(project, control):
    add(project, "fay", "--role", "viewer")
    session_id, _ = control.sessions.start(control.users.get("fay"))
    disabled = run_lakebox("users", "disable", "fay", cwd=project)
    assert disabled.returncode == 0 and disabled.stdout.strip() == "user fay disabled"
    with pytest.raises(AuthError, match="disabled"):
        control.users.check_password("fay", "correct horse")
    assert run_lakebox("users", "enable", "fay", cwd=project).returncode == 0
    assert control.users.check_password("fay", "correct horse").name == "fay"
    assert control.sessions.find(session_id) is None  # ended when disabled
    listed = json.loads(run_lakebox("users", "list", "--json", cwd=project).stdout)
    assert not next(user for user in listed if user["name"] == "fay")["disabled"]
    changes = grant_changes(control)
    assert changes.index("user fay enabled") < changes.index("user fay disabled")


def test_roles_replaces_the_roles_and_is_audited(project, control):
    add(project, "gus", "--role", "viewer")
    changed = run_lakebox("users", "roles", "gus", "analyst", "eu_analyst", cwd=project)
    assert changed.returncode == 0, changed.stderr
    assert control.users.get("gus").roles == ("analyst", "eu_analyst")
    assert "user gus: roles viewer -> analyst, eu_analyst" in grant_changes(control)
    [entry] = [
        e
        for e in control.audit.entries()
        if e["detail"] == "user gus: roles viewer -> analyst, eu_analyst"
    ]
    assert (entry["user"], entry["door"], entry["action"]) == (
        getpass.getuser(),
        "cli",
        "grant change",
    )
    wrong = run_lakebox("users", "roles", "gus", "boss", cwd=project)
    assert wrong.returncode == 1 and "unknown role 'boss'" in wrong.stderr


def test_attrs_sets_and_removes_attributes(project, control):
    add(project, "hal", "--role", "viewer", "--attr", "region=EU", "--attr", "team=a")
    changed = run_lakebox("users", "attrs", "hal", "region=US", "team=", "max_id=2", cwd=project)
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.strip() == "attributes of hal: max_id=2, region=US"
    assert control.users.get("hal").attributes == {"max_id": "2", "region": "US"}
    assert "user hal: attributes region=US, team=, max_id=2" in grant_changes(control)


def test_an_unknown_user_is_a_clear_error(project):
    for command in (("disable",), ("enable",), ("roles",), ("attrs",)):
        extra = {"roles": ("viewer",), "attrs": ("a=b",)}.get(command[0], ())
        missing = run_lakebox("users", *command, "nobody", *extra, cwd=project)
        assert missing.returncode == 1 and "error: no user named 'nobody'" in missing.stderr
