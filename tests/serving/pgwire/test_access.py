"""Users log in to the pg endpoint with their password or an API token (SCRAM-SHA-256), and
their sessions run as them: their grants, masks and row filters apply, and the catalog lists
only what they may read. Real psycopg, psql and SQLAlchemy against a real PgServer."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml
from sqlalchemy import create_engine, inspect

import lakebox
from lakebox.access.control import access_control
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.runner import run
from lakebox.serving.pgwire import PgServer
from lakebox.serving.pgwire import messages as m
from lakebox.serving.queries import QueryService
from tests.conftest import write_file
from tests.serving.access_data import ACCESS, CUSTOMERS

ACCESS = {**ACCESS, "login_attempts": 3}
PASSWORDS = {"alice": "alice-password", "vic": "vic-password", "root": "root-password"}
MASKED_QUERY = "SELECT id, name, email, born FROM formatted.customers ORDER BY id"


@pytest.fixture(scope="module")
def lh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lakehouse]:
    folder = tmp_path_factory.mktemp("pg-access") / "project"
    folder.mkdir()
    document = {
        "name": "pgaccess",
        "engine": {"memory_limit": "1GB", "threads": 2},
        "access": ACCESS,
        "sources": {"customers": {"path": "in/*.csv"}},
    }
    (folder / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    lh = lakebox.open(folder)
    write_file(folder / "in", "customers.csv", CUSTOMERS)
    write_file(folder / "models", "people.sql", "SELECT id, name, ssn FROM formatted.customers")
    assert run(lh).ok
    users = access_control(lh).users
    users.add("alice", ["eu_analyst"], PASSWORDS["alice"], {"region": "EU"})
    users.add("vic", ["viewer"], PASSWORDS["vic"])
    users.add("root", ["admin"], PASSWORDS["root"])
    users.add("dora", ["analyst"], "dora-password")
    users.set_disabled("dora")
    users.add("rita", ["analyst"], "rita-password")
    yield lh
    lh.close()


@pytest.fixture(scope="module")
def server(lh: Lakehouse) -> Iterator[PgServer]:
    with PgServer(lh, port=0, timeout=10) as running:
        yield running


def _dsn(server: PgServer, user: str, password: str | None = None) -> str:
    password = PASSWORDS.get(user, "") if password is None else password
    return (
        f"host=127.0.0.1 port={server.port} dbname=lakebox user={user} password={password} "
        "connect_timeout=10"
    )


def _connect(server: PgServer, user: str, password: str | None = None) -> psycopg.Connection:
    return psycopg.connect(_dsn(server, user, password), autocommit=True)


def _column(conn: psycopg.Connection, sql: str) -> list[object]:
    return [row[0] for row in conn.execute(sql).fetchall()]


# -- logging in ------------------------------------------------------------------------------


def test_a_user_logs_in_with_their_password_and_is_audited(lh, server):
    with _connect(server, "alice") as conn:
        assert conn.execute("SELECT count(*) FROM exploitation.people").fetchone() == (3,)
        assert conn.execute("SHOW session_authorization").fetchone() == ("alice",)
    logins = access_control(lh).audit.entries(user="alice", action="login")
    assert logins and logins[0]["door"] == "pg" and logins[0]["client"] == "127.0.0.1"
    queries = access_control(lh).audit.entries(user="alice", table="exploitation.people")
    assert queries[0]["door"] == "pg" and queries[0]["action"] == "query"


def test_a_user_logs_in_with_an_api_token(lh, server):
    tokens = access_control(lh).tokens
    token, secret = tokens.create("alice", "psql")
    with _connect(server, "alice", secret) as conn:
        assert conn.execute("SELECT count(*) FROM formatted.customers").fetchone() == (2,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _connect(server, "root", secret)  # a token logs in its own user only
    tokens.revoke(token.id)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _connect(server, "alice", secret)


def test_a_wrong_password_fails_and_is_audited(lh, server):
    with pytest.raises(psycopg.OperationalError, match='failed for user "root"') as caught:
        _connect(server, "root", "not-the-password")
    assert "lakebox tokens create" in str(caught.value)  # the hint says how to log in
    failed = access_control(lh).audit.entries(user="root", action="failed login")
    assert failed[0]["outcome"] == "refused" and failed[0]["door"] == "pg"
    assert failed[0]["client"] == "127.0.0.1"


@pytest.mark.parametrize("user", ["dora", "nobody"])
def test_disabled_and_unknown_users_fail_as_a_wrong_password(lh, server, user):
    password = "dora-password" if user == "dora" else "whatever-password"
    with pytest.raises(psycopg.OperationalError, match=f'failed for user "{user}"'):
        _connect(server, user, password)
    failed = access_control(lh).audit.entries(user=user, action="failed login")
    assert failed[0]["detail"] == ("user disabled" if user == "dora" else "no such user")


def test_logins_are_refused_for_a_while_after_too_many_failures(lh, server):
    for _ in range(ACCESS["login_attempts"]):
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            _connect(server, "rita", "wrong-password")
    with pytest.raises(psycopg.OperationalError, match="too many failed logins"):
        _connect(server, "rita", "rita-password")  # even the right password, for now
    refusal = _raw_login("rita", server)
    assert refusal[0] == b"E" and _fields(refusal)[b"C"] == "28000"
    assert _fields(refusal)[b"S"] == "FATAL"
    entries = access_control(lh).audit.entries(user="rita", action="failed login")
    assert len(entries) == ACCESS["login_attempts"] + 2
    assert "too many failed logins" in str(entries[0]["detail"])
    with _connect(server, "root") as conn:  # other users are not held back
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_unknown_users_get_a_salt_of_their_own_every_time(lh, server):
    salt, _ = access_control(lh).users.scram("alice") or (b"", [])
    assert _salt_sent(server, "alice") == salt
    assert _salt_sent(server, "nobody") == _salt_sent(server, "nobody")
    assert _salt_sent(server, "nobody") != _salt_sent(server, "nobody-else")
    assert len(_salt_sent(server, "nobody")) == len(salt)


def test_the_shared_token_is_the_password_of_user_token(lh):
    shared = "a-shared-token-of-thirty-two-characters"
    with PgServer(lh, port=0, token=shared, timeout=10) as guarded:
        with _connect(guarded, "token", shared) as conn:
            ssn = _column(conn, "SELECT ssn FROM exploitation.people ORDER BY id")
            assert ssn[0] == "111-22-3333"  # an admin
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            _connect(guarded, "alice", shared)
        with _connect(guarded, "alice") as conn:  # users log in beside it
            assert conn.execute("SELECT 1").fetchone() == (1,)


# -- running as the user ---------------------------------------------------------------------


def test_a_viewer_may_not_write_sql(server):
    with _connect(server, "vic") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="no grant of 'query'"):
            conn.execute("SELECT 1")
        assert conn.execute("SHOW search_path").fetchone() == ("exploitation",)


def test_an_analyst_sees_what_the_query_service_shows_them(lh, server):
    control = access_control(lh)
    principal = control.principal(control.users.get("alice"))
    expected = QueryService(lh).as_user(principal, "pg").run(MASKED_QUERY).rows()
    with _connect(server, "alice") as conn:
        rows = conn.execute(MASKED_QUERY).fetchall()
    assert rows == [tuple(row.values()) for row in expected]
    assert rows == [(1, "Ann", "a***@example.com", 1980), (3, "Cid", "c***@example.net", 1990)]


def test_ungranted_tables_and_columns_are_refused_with_42501(server):
    with _connect(server, "alice") as conn:
        for sql, words in [
            ("SELECT ssn FROM formatted.customers", "formatted.customers.ssn"),
            ("SELECT * FROM quarantine.customers", "quarantine.customers"),
            ("SELECT * FROM _lakebox_pg._relations", "no table"),
        ]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=words):
                conn.execute(sql)


def test_an_admin_reads_clear_values(server):
    with _connect(server, "root") as conn:
        assert "111-22-3333" in _column(conn, "SELECT ssn FROM exploitation.people")


# -- the catalog -----------------------------------------------------------------------------

GRANTED = {"formatted.customers", "exploitation.people"}


def test_catalog_tables_list_only_granted_tables(server):
    with _connect(server, "alice") as conn:
        classes = _column(
            conn,
            "SELECT n.nspname || '.' || c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace",
        )
        tables = _column(conn, "SELECT schemaname || '.' || tablename FROM pg_tables")
        information = _column(
            conn, "SELECT table_schema || '.' || table_name FROM information_schema.tables"
        )
    assert set(classes) == set(tables) == set(information) == GRANTED
    with _connect(server, "root") as conn:
        everything = _column(conn, "SELECT schemaname || '.' || tablename FROM pg_tables")
    assert set(everything) > GRANTED and "quarantine.customers" in everything


def test_catalog_columns_hide_ungranted_columns(server):
    with _connect(server, "alice") as conn:
        attributes = _column(
            conn,
            "SELECT attname FROM pg_attribute "
            "WHERE attrelid = 'formatted.customers'::regclass AND attnum > 0",
        )
        columns = _column(
            conn,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'formatted' AND table_name = 'customers'",
        )
        people = _column(
            conn,
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'people'",
        )
        hidden = conn.execute("SELECT to_regclass('quarantine.customers')").fetchone()
        count = conn.execute("SELECT relnatts FROM pg_class WHERE relname = 'customers'")
        assert count.fetchone() == (len(attributes),)
    assert "ssn" not in attributes and {"id", "email", "born"} <= set(attributes)
    assert set(columns) == set(attributes)
    assert people == ["id", "name", "ssn"]  # masked, not hidden
    assert hidden == (None,)
    with _connect(server, "root") as conn:
        assert "ssn" in _column(
            conn,
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'",
        )


def test_a_session_cannot_widen_its_own_listing(server):
    with _connect(server, "alice") as conn:
        conn.execute("SET VARIABLE lakebox_visible = ['*']")  # a no-op SET
        for sql in [
            "RESET VARIABLE lakebox_visible",
            "SELECT set_variable('lakebox_visible', ['*'])",
            "SELECT getvariable('lakebox_visible')",
        ]:
            with pytest.raises(psycopg.Error):
                conn.execute(sql)
        conn.execute('SET search_path = "formatted"')
        assert set(_column(conn, "SELECT tablename FROM pg_tables")) == {"customers", "people"}


def test_sqlalchemy_inspects_only_what_the_user_may_read(server):
    password = PASSWORDS["alice"]
    url = f"postgresql+psycopg://alice:{password}@127.0.0.1:{server.port}/lakebox"
    engine = create_engine(url)
    try:
        inspector = inspect(engine)
        assert inspector.get_table_names("formatted") == ["customers"]
        assert inspector.get_table_names("landing") == []
        assert inspector.get_table_names("quarantine") == []
        names = [column["name"] for column in inspector.get_columns("customers", "formatted")]
        assert "ssn" not in names and "email" in names
    finally:
        engine.dispose()


def test_jdbc_table_listing_shows_only_granted_tables(server):
    """DBeaver's and Metabase's listing (pgjdbc's getTables), of every schema."""
    sql = (Path(__file__).parent / "fixtures" / "jdbc_get_tables.sql").read_text()
    sql = sql.replace("n.nspname LIKE 'formatted'", "n.nspname LIKE '%'")
    with _connect(server, "alice") as conn:
        rows = conn.execute(sql).fetchall()
    assert {f"{row[1]}.{row[2]}" for row in rows} == GRANTED


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql is not installed")
def test_psql_lists_and_describes_only_granted_tables_and_columns(server):
    def psql(command: str) -> str:
        done = subprocess.run(
            ["psql", f"postgresql://alice@127.0.0.1:{server.port}/lakebox", "-X", "-A", "-t",
             "-c", command],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "PGPASSWORD": PASSWORDS["alice"]},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    listed = psql(r"\dt *.*").splitlines()
    assert {"|".join(line.split("|")[:2]).replace("|", ".") for line in listed} == GRANTED
    described = psql(r"\d formatted.customers")
    assert "email|text" in described and "ssn" not in described


# -- raw protocol helpers --------------------------------------------------------------------


def _startup(server: PgServer, user: str) -> tuple[socket.socket, object]:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    body = struct.pack("!i", m.PROTOCOL_3) + f"user\0{user}\0database\0lakebox\0\0".encode()
    sock.sendall(struct.pack("!i", len(body) + 4) + body)
    return sock, sock.makefile("rb")


def _read(reading) -> tuple[bytes, bytes]:
    kind = reading.read(1)
    (length,) = struct.unpack("!i", reading.read(4))
    return kind, reading.read(length - 4)


def _raw_login(user: str, server: PgServer) -> tuple[bytes, bytes]:
    """Return the server's first answer to a client logging in as `user`."""
    sock, reading = _startup(server, user)
    with sock:
        return _read(reading)


def _fields(message: tuple[bytes, bytes]) -> dict[bytes, str]:
    return {part[:1]: part[1:].decode() for part in message[1].split(b"\0") if part}


def _salt_sent(server: PgServer, user: str) -> bytes:
    """Return the SCRAM salt the server sends a client logging in as `user`."""
    sock, reading = _startup(server, user)
    with sock:
        kind, body = _read(reading)
        assert kind == b"R" and struct.unpack("!i", body[:4])[0] == 10  # SASL
        first = b"n,,n=,r=abcdefghijkl"
        initial = m.cstring("SCRAM-SHA-256") + struct.pack("!i", len(first)) + first
        sock.sendall(m.frame(b"p", initial))
        kind, body = _read(reading)
        assert kind == b"R" and struct.unpack("!i", body[:4])[0] == 11  # SASL continue
        attributes = dict(part.split("=", 1) for part in body[4:].decode().split(","))
        return base64.b64decode(attributes["s"])


def test_a_session_lists_tables_made_after_it_began(make_project):
    lh = make_project({"customers": {"path": "in/*.csv"}}, access=ACCESS)
    write_file(lh.project_dir / "in", "customers.csv", CUSTOMERS)
    assert run(lh).ok
    access_control(lh).users.add("alice", ["eu_analyst"], PASSWORDS["alice"], {"region": "EU"})
    with PgServer(lh, port=0, timeout=10) as server, _connect(server, "alice") as conn:
        listing = "SELECT schemaname || '.' || tablename FROM pg_tables"
        assert _column(conn, listing) == ["formatted.customers"]
        write_file(lh.project_dir / "models", "names.sql", "SELECT name FROM formatted.customers")
        assert run(lh).ok
        assert set(_column(conn, listing)) == {"formatted.customers", "exploitation.names"}
