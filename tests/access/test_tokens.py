"""`Tokens` on a real catalog database: a secret shown once and kept as a hash, checked to
its user, expiring, revocable, refused for a disabled user, and a SCRAM verifier under the
user's salt so that it logs in to pg-wire as a password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from lakebox.access.scram import Verifier
from lakebox.access.store import tokens_table
from lakebox.access.tokens import Tokens, looks_like_token
from lakebox.access.users import Users
from lakebox.errors import AuthError, ConfigError
from tests.access.conftest import access


@pytest.fixture
def tokens(catalog_engine: sa.Engine) -> Tokens:
    users = Users(catalog_engine, access("token_days: 30\n"))
    users.add("ann", ["analyst"], "correct horse")
    return Tokens(users)


def test_a_token_stands_for_its_user_until_revoked(tokens):
    token, secret = tokens.create("ann", "superset")
    assert looks_like_token(secret) and secret.startswith(f"lbx_{token.id}_")
    assert (token.user, token.label, token.revoked) == ("ann", "superset", False)
    assert timedelta(days=29) < token.expires_at - token.created_at <= timedelta(days=30)
    assert tokens.check(secret).name == "ann"
    assert tokens.get(token.id).last_used_at is not None
    revoked = tokens.revoke(token.id)
    assert revoked.revoked and not revoked.usable(datetime.now(UTC))
    with pytest.raises(AuthError, match=f"the token {token.id} was revoked"):
        tokens.check(secret)


def test_the_secret_is_kept_only_as_a_hash(tokens):
    _, secret = tokens.create("ann")
    with tokens.engine.connect() as connection:
        row = connection.execute(tokens_table.select()).one()
    assert secret not in repr(tuple(row)) and len(row.secret_hash) == 64


@pytest.mark.parametrize(
    "forged",
    ["lbx_000000000000_nothing", "not a token", "lbx_{id}_wrong-random-part"],
)
def test_a_wrong_or_forged_secret_is_refused(tokens, forged):
    token, _ = tokens.create("ann")
    with pytest.raises(AuthError, match="the token is not valid"):
        tokens.check(forged.format(id=token.id))


def test_an_expired_token_is_refused(tokens):
    token, secret = tokens.create("ann", days=1)
    with tokens.engine.begin() as connection:
        connection.execute(
            tokens_table.update().values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    with pytest.raises(AuthError, match=f"the token {token.id} was expired on"):
        tokens.check(secret)


def test_a_disabled_users_tokens_are_refused(tokens):
    _, secret = tokens.create("ann")
    tokens.users.set_disabled("ann", True)
    with pytest.raises(AuthError, match="user 'ann' is disabled"):
        tokens.check(secret)
    assert tokens.verifiers("ann") == []


def test_tokens_list_by_user_and_days_are_bounded(tokens):
    tokens.users.add("bob", ["viewer"])
    tokens.create("ann", "a")
    tokens.create("bob", "b")
    assert [t.label for t in tokens.list()] == ["a", "b"]
    assert [t.label for t in tokens.list("bob")] == ["b"]
    with pytest.raises(ConfigError, match="1 to 3650 days"):
        tokens.create("ann", days=4000)
    with pytest.raises(ConfigError, match="no user named 'zed'"):
        tokens.create("zed")
    with pytest.raises(ConfigError, match="no token 'nope'"):
        tokens.revoke("nope")


def test_each_usable_token_has_a_verifier_under_the_users_salt(tokens):
    first, secret = tokens.create("ann")
    _, other = tokens.create("ann")
    salt, [password] = tokens.users.scram("ann")
    assert password == Verifier.of("correct horse", salt)
    tokens.revoke(first.id)
    assert tokens.verifiers("ann") == [Verifier.of(other, salt)]
    assert Verifier.of(secret, salt) not in tokens.verifiers("ann")
