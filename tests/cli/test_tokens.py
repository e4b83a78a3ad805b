"""`lakebox tokens`: a token's secret printed once on stdout (the warning on stderr), listed
without it, revoked — after which it no longer stands for its user — each a grant change."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lakebox.access.control import AccessControl, access_control
from lakebox.access.tokens import looks_like_token
from lakebox.errors import AuthError
from lakebox.lakehouse import open_project
from tests.cli.conftest import lakebox, new_project, with_access


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = with_access(new_project(tmp_path_factory.mktemp("tokens")))
    for name in ("ann", "bob"):
        added = lakebox("users", "add", name, "--role", "viewer", "--no-password", cwd=project)
        assert added.returncode == 0, added.stderr
    return project


@pytest.fixture(scope="module")
def control(project: Path) -> Iterator[AccessControl]:
    with open_project(project) as lh:
        yield access_control(lh)


def create(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    made = lakebox("tokens", "create", *args, cwd=project)
    assert made.returncode == 0, made.stderr
    return made


def test_create_prints_the_secret_once_and_warns_it_is_not_shown_again(project, control):
    made = create(project, "ann", "--label", "superset", "--days", "7")
    secret = made.stdout.strip()
    assert looks_like_token(secret) and made.stdout == secret + "\n"
    assert "Copy the secret above now: it is not shown again." in made.stderr
    assert control.tokens.check(secret).name == "ann"
    listed = json.loads(lakebox("tokens", "list", "--json", cwd=project).stdout)
    [token] = [t for t in listed if t["label"] == "superset"]
    assert secret not in json.dumps(listed)
    assert (token["user"], token["status"]) == ("ann", "usable")
    assert f"token {token['id']} for ann (superset), valid until" in made.stderr
    changes = [e["detail"] for e in control.audit.entries(action="grant change")]
    assert f"token {token['id']} created for ann (superset)" in changes


def test_a_revoked_token_no_longer_stands_for_its_user(project, control):
    secret = create(project, "bob", "--label", "ci").stdout.strip()
    token_id = secret.split("_")[1]
    revoked = lakebox("tokens", "revoke", token_id, cwd=project)
    assert revoked.returncode == 0 and revoked.stdout.strip() == f"token {token_id} of bob revoked"
    with pytest.raises(AuthError, match=f"the token {token_id} was revoked"):
        control.tokens.check(secret)
    again = lakebox("tokens", "revoke", token_id, cwd=project)
    assert again.returncode == 0 and "was revoked already" in again.stdout
    listed = json.loads(lakebox("tokens", "list", "--user", "bob", "--json", cwd=project).stdout)
    assert [(t["id"], t["status"]) for t in listed] == [(token_id, "revoked")]
    changes = [e["detail"] for e in control.audit.entries(action="grant change")]
    assert changes.count(f"token {token_id} of bob revoked (ci)") == 1


def test_the_list_is_a_table_and_errors_are_clear(project):
    create(project, "ann", "--label", "notebook")
    table = lakebox("tokens", "list", cwd=project).stdout
    assert "notebook" in table and "usable" in table and "lbx_" not in table
    for args, message in [
        (("create", "nobody"), "error: no user named 'nobody'"),
        (("create", "ann", "--days", "0"), "a token lasts 1 to 3650 days, not 0"),
        (("revoke", "nope"), "error: no token 'nope'"),
        (("list", "--user", "nobody"), "error: no user named 'nobody'"),
    ]:
        failed = lakebox("tokens", *args, cwd=project)
        assert failed.returncode == 1 and message in failed.stderr, failed.stderr
