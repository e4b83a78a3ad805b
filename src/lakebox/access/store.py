"""Where users, tokens, web sessions, the mask key, the access section last seen and the
audit log are kept: tables of the catalog database (SQLite by default, PostgreSQL for teams),
so every process of the project sees the same users. Passwords are kept only as argon2
hashes and SCRAM verifiers, tokens and sessions only as SHA-256 hashes; the audit table
refuses updates and deletes."""

from __future__ import annotations

import secrets
import threading
import weakref

import sqlalchemy as sa

_metadata = sa.MetaData()
users_table = sa.Table(
    "lakebox_users",
    _metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.Text),
    sa.Column("scram_salt", sa.LargeBinary, nullable=False),
    sa.Column("scram_stored_key", sa.LargeBinary),
    sa.Column("scram_server_key", sa.LargeBinary),
    sa.Column("roles", sa.Text, nullable=False),  # comma-separated
    sa.Column("attributes", sa.Text, nullable=False),  # a JSON object of strings
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
tokens_table = sa.Table(
    "lakebox_tokens",
    _metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    sa.Column("user_name", sa.String(64), nullable=False, index=True),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("scram_stored_key", sa.LargeBinary, nullable=False),
    sa.Column("scram_server_key", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
)
sessions_table = sa.Table(
    "lakebox_sessions",
    _metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_name", sa.String(64), nullable=False, index=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)
secrets_table = sa.Table(
    "lakebox_secrets",
    _metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.LargeBinary, nullable=False),
)
# the access: section of lakebox.yaml as a lakebox process last saw it, to audit its changes
seen_table = sa.Table(
    "lakebox_access_seen",
    _metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("section", sa.Text, nullable=False),  # JSON; null when there was no section
    sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
)
audit_table = sa.Table(
    "lakebox_audit",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("user_name", sa.String(64), nullable=False, index=True),
    sa.Column("door", sa.String(8), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("tables", sa.Text, nullable=False),  # JSON list of zone.table
    sa.Column("columns", sa.Text, nullable=False),  # JSON list of zone.table.column
    sa.Column("rows", sa.BigInteger),
    sa.Column("duration_ms", sa.Float),
    sa.Column("client", sa.String(200)),
    sa.Column("outcome", sa.String(16), nullable=False),  # ok, refused, failed
    sa.Column("detail", sa.Text),
)
_APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS lakebox_audit_no_update BEFORE UPDATE ON lakebox_audit "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS lakebox_audit_no_delete BEFORE DELETE ON lakebox_audit "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    ],
    # one process at a time (an advisory lock), the function and triggers made once; rules
    # of older versions, which dropped a change without a word, are replaced
    "postgresql": [
        "SELECT pg_advisory_xact_lock(hashtext('lakebox_audit'))",
        "DROP RULE IF EXISTS lakebox_audit_no_update ON lakebox_audit",
        "DROP RULE IF EXISTS lakebox_audit_no_delete ON lakebox_audit",
        "CREATE OR REPLACE FUNCTION lakebox_audit_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'the audit log is append-only'; END $$",
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = "
        "'lakebox_audit_no_change' AND tgrelid = to_regclass('lakebox_audit')) THEN "
        "CREATE TRIGGER lakebox_audit_no_change BEFORE UPDATE OR DELETE ON lakebox_audit "
        "FOR EACH ROW EXECUTE FUNCTION lakebox_audit_append_only(); "
        "CREATE TRIGGER lakebox_audit_no_truncate BEFORE TRUNCATE ON lakebox_audit "
        "FOR EACH STATEMENT EXECUTE FUNCTION lakebox_audit_append_only(); END IF; END $$",
    ],
}
_READY: weakref.WeakSet[sa.Engine] = weakref.WeakSet()
_READY_LOCK = threading.Lock()


def ready(engine: sa.Engine) -> sa.Engine:
    """Return `engine` with the access tables created (once per engine and process)."""
    with _READY_LOCK:
        if engine not in _READY:
            _metadata.create_all(engine, checkfirst=True)
            with engine.begin() as connection:
                for statement in _APPEND_ONLY.get(engine.dialect.name, []):
                    connection.execute(sa.text(statement))
            _READY.add(engine)
    return engine


def secret(engine: sa.Engine, name: str, size: int = 32) -> bytes:
    """Return the secret `name` (e.g. the mask key), made at random on first use."""
    ready(engine)
    query = sa.select(secrets_table.c.value).where(secrets_table.c.name == name)
    with engine.connect() as connection:
        found = connection.execute(query).scalar()
    if found is not None:
        return bytes(found)
    made = secrets_table.insert().values(name=name, value=secrets.token_bytes(size))
    try:
        with engine.begin() as connection:
            connection.execute(made)
    except sa.exc.IntegrityError:  # another process made it first
        pass
    with engine.connect() as connection:
        return bytes(connection.execute(query).scalar_one())
