"""`AccessControl`: one per project and process; a login by password or by token, each
audited, a failed one audited as refused; a token belongs to the name given with it."""

from __future__ import annotations

import pytest

from lakebox.access.control import access_control
from lakebox.errors import AuthError


@pytest.fixture
def control(make_project):
    control = access_control(make_project(access={"roles": {"eu": {"extends": "analyst"}}}))
    control.users.add("ann", ["eu"], "correct horse", {"region": "EU"})
    return control


def test_one_control_per_project_and_its_section(control):
    assert access_control(control.lh) is control
    assert control.configured and "eu" in control.config.roles


def test_a_login_by_password_or_token_is_audited(control):
    assert control.login("ann", "correct horse", "ui", "10.0.0.1").name == "ann"
    _, secret = control.tokens.create("ann", "psql")
    assert control.login("ann", secret, "pg").name == "ann"
    assert control.by_token(secret).name == "ann"
    principal = control.principal(control.users.get("ann"))
    assert principal.can("query") and principal.attributes == {"region": "EU"}
    entries = control.audit.entries(action="login")
    assert [(e["door"], e["client"]) for e in entries] == [("pg", None), ("ui", "10.0.0.1")]


def test_a_failed_login_is_audited_as_refused(control):
    with pytest.raises(AuthError):
        control.login("ann", "wrong password", "http", "10.0.0.2")
    control.users.add("bob", ["viewer"], "battery staple")
    _, bobs = control.tokens.create("bob")
    with pytest.raises(AuthError, match="the token is not 'ann''s"):
        control.login("ann", bobs, "pg")
    [token, password] = control.audit.entries(action="failed login")
    assert (password["user"], password["outcome"], password["client"]) == (
        "ann",
        "refused",
        "10.0.0.2",
    )
    assert password["detail"] == "wrong user name or password for 'ann'"
    assert token["detail"] == "the token is not 'ann''s"


def test_a_project_without_the_section_still_has_users_with_the_built_in_roles(make_project):
    control = access_control(make_project())
    assert not control.configured and control.config.roles == {}
    control.users.add("ann", ["analyst"], "correct horse")
    assert not control.principal(control.users.get("ann")).may_read_table("formatted", "sales")
