"""With a token, clients must send it as the password of user `token` (SCRAM-SHA-256)."""

from __future__ import annotations

import psycopg
import pytest

from lakebox.errors import ConfigError
from lakebox.serving.pgwire import PgServer
from tests.serving.pgwire.conftest import TOKEN


def _dsn(server: PgServer, password: str | None, user: str = "token") -> str:
    dsn = f"host=127.0.0.1 port={server.port} user={user} dbname=lakebox"
    return dsn + (f" password={password}" if password is not None else "")


def test_the_token_is_the_password(guarded):
    with psycopg.connect(_dsn(guarded, TOKEN)) as conn:
        assert conn.execute("SELECT count(*) FROM formatted.sales").fetchone() == (3,)


def test_the_token_is_no_other_users_password(guarded):
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(_dsn(guarded, TOKEN, user="bi"), connect_timeout=10)


@pytest.mark.parametrize("password", ["wrong", ""])
def test_a_wrong_or_missing_password_is_refused(guarded, password):
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(_dsn(guarded, password), connect_timeout=10)


def test_another_address_needs_users_and_a_long_token_if_any(lh):
    with pytest.raises(ConfigError, match="at least 32"):
        PgServer(lh, host="0.0.0.0", port=0, token="short")
    server = PgServer(lh, host="0.0.0.0", port=0)  # users log in as themselves
    try:
        assert server.logins.needed
    finally:
        server.stop()
