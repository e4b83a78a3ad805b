"""`Users` on a real catalog database (SQLite, and PostgreSQL): adding, finding, listing,
passwords kept as argon2 hashes and SCRAM verifiers, disabling, roles and attributes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lakebox.access.scram import Verifier
from lakebox.access.store import users_table
from lakebox.access.users import Users
from lakebox.errors import AuthError, ConfigError
from tests.access.conftest import access

SECTION = access("roles:\n  eu_analyst: {extends: analyst}\n")


def test_a_user_round_trips_and_signs_in_with_the_password(catalog_engine):
    users = Users(catalog_engine, SECTION)
    added = users.add("ann", ["eu_analyst"], "correct horse", {"region": "EU"})
    assert (added.name, added.roles, added.attributes) == ("ann", ("eu_analyst",), {"region": "EU"})
    assert added.has_password and not added.disabled and added.created_at.tzinfo
    assert users.check_password("ann", "correct horse") == added
    assert [user.name for user in users.list()] == ["ann"]
    assert users.find("nobody") is None
    principal = added.principal(SECTION)
    assert principal.attributes == {"region": "EU"} and principal.can("query")


def test_the_password_is_kept_only_as_hashes(sqlite_engine):
    users = Users(sqlite_engine)
    users.add("ann", ["viewer"], "correct horse")
    with sqlite_engine.connect() as connection:
        row = connection.execute(users_table.select()).one()
    assert "correct horse" not in repr(tuple(row))
    assert row.password_hash.startswith("$argon2")
    salt, [verifier] = users.scram("ann")
    assert verifier == Verifier.of("correct horse", salt)


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("ann", "correct horse", "exists already"),
        ("-ann", "correct horse", "user name '-ann' is not valid"),
        ("bob", "short", "at least 8 characters"),
    ],
)
def test_adding_is_refused_for_a_taken_or_bad_name_or_a_short_password(
    sqlite_engine, name, password, message
):
    users = Users(sqlite_engine)
    users.add("ann", ["viewer"], "correct horse")
    with pytest.raises(ConfigError, match=message):
        users.add(name, ["viewer"], password)


def test_roles_must_be_known_and_at_least_one(sqlite_engine):
    users = Users(sqlite_engine, SECTION)
    with pytest.raises(ConfigError, match="unknown role 'boss'") as caught:
        users.add("ann", ["boss"], None)
    assert "eu_analyst" in caught.value.hint
    with pytest.raises(ConfigError, match="a user needs a role"):
        users.add("ann", [], None)


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(sqlite_engine):
    users = Users(sqlite_engine)
    users.add("ann", ["viewer"], "correct horse")
    with pytest.raises(AuthError) as wrong:
        users.check_password("ann", "battery staple")
    with pytest.raises(AuthError) as unknown:
        users.check_password("zed", "battery staple")
    assert wrong.value.message == "wrong user name or password for 'ann'"
    assert unknown.value.message == "wrong user name or password for 'zed'"


def test_a_user_without_a_password_cannot_sign_in_with_one(sqlite_engine):
    users = Users(sqlite_engine)
    assert not users.add("bot", ["viewer"]).has_password
    with pytest.raises(AuthError):
        users.check_password("bot", "")
    salt, verifiers = users.scram("bot")
    assert len(salt) == 16 and verifiers == []


def test_passwd_keeps_the_salt_and_replaces_the_password(sqlite_engine):
    users = Users(sqlite_engine)
    users.add("ann", ["viewer"], "correct horse")
    salt, _ = users.scram("ann")
    users.passwd("ann", "battery staple")
    assert users.scram("ann")[0] == salt
    assert users.check_password("ann", "battery staple").name == "ann"
    with pytest.raises(AuthError):
        users.check_password("ann", "correct horse")
    with pytest.raises(ConfigError, match="no user named 'zed'"):
        users.passwd("zed", "battery staple")


def test_a_disabled_user_is_refused_until_enabled(catalog_engine):
    users = Users(catalog_engine)
    users.add("ann", ["viewer"], "correct horse")
    users.set_disabled("ann", True)
    with pytest.raises(AuthError, match="user 'ann' is disabled"):
        users.check_password("ann", "correct horse")
    assert users.scram("ann") is None and users.get("ann").disabled
    users.set_disabled("ann", False)
    assert users.check_password("ann", "correct horse").name == "ann"


def test_roles_and_attributes_are_replaced(sqlite_engine):
    users = Users(sqlite_engine, SECTION)
    users.add("ann", ["viewer"], None, {"region": "EU"})
    users.set_roles("ann", ["analyst", "eu_analyst"])
    users.set_attributes("ann", {"region": "US", "team": "b2b"})
    ann = users.get("ann")
    assert ann.roles == ("analyst", "eu_analyst")
    assert ann.attributes == {"region": "US", "team": "b2b"}
    with pytest.raises(ConfigError, match="unknown role"):
        users.set_roles("ann", ["boss"])


def test_two_handles_on_one_database_see_the_same_users(sqlite_engine):
    Users(sqlite_engine).add("ann", ["viewer"], "correct horse")
    other = sa.create_engine(sqlite_engine.url)
    try:
        assert Users(other).get("ann").roles == ("viewer",)
    finally:
        other.dispose()
