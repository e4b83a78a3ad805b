"""Users' SQL under access control, through the one enforcement point (`QueryService` as a
user): what an attacker's statement can and cannot reach on a real lakehouse."""

from __future__ import annotations

import pytest

from lakebox.access.control import access_control
from lakebox.errors import AccessDenied, QueryError
from lakebox.orchestration.runner import run
from lakebox.serving.queries import QueryService
from tests.conftest import write_file
from tests.serving.access_data import ACCESS, CUSTOMERS

SECRETS = ("111-22-3333", "ann@example.com", "bob@example.org", "Bob", "1980-05-17")


@pytest.fixture
def lh(make_project):
    lh = make_project({"customers": {"path": "in/*.csv"}}, access=ACCESS)
    write_file(lh.project_dir / "in", "customers.csv", CUSTOMERS)
    write_file(
        lh.project_dir / "models", "people.sql", "SELECT id, name, ssn FROM formatted.customers"
    )
    assert run(lh).ok
    users = access_control(lh).users
    users.add("alice", ["eu_analyst"], "alice-password", {"region": "EU"})
    users.add("vic", ["viewer"], "vic-password")
    users.add("root", ["admin"], "root-password")
    return lh


def _as(lh, name: str) -> QueryService:
    control = access_control(lh)
    return QueryService(lh, timeout=10).as_user(
        control.principal(control.users.get(name)), "http", "127.0.0.1"
    )


def _text(result) -> str:
    return repr(result.table.to_pylist())


def test_masks_and_row_filters_apply_whatever_the_statement(lh):
    alice = _as(lh, "alice")
    statements = [
        "SELECT * FROM formatted.customers",
        'SELECT * FROM "formatted"."CUSTOMERS"',
        "FROM formatted.customers",
        "SELECT c.* FROM formatted.customers c JOIN formatted.customers d USING (id)",
        "WITH x AS (SELECT * FROM formatted.customers) SELECT * FROM x",
        "SELECT * FROM (SELECT * FROM (FROM formatted.customers))",
        "SELECT (SELECT string_agg(email, ',') FROM formatted.customers) AS e",
        "SELECT c FROM formatted.customers AS c",
        "SELECT COLUMNS('.*') FROM formatted.customers",
        "SELECT email FROM formatted.customers WHERE email = 'bob@example.org'",
        "SELECT * FROM memory.formatted.customers",
        "SELECT * FROM formatted.customers AS exploitation",
        "SELECT * FROM formatted.customers UNION ALL SELECT * FROM formatted.customers",
        "SELECT * FROM formatted.customers, LATERAL (SELECT email AS e2)",
        "SUMMARIZE formatted.customers",
        "PIVOT formatted.customers ON region USING max(email)",
    ]
    for sql in statements:
        text = _text(alice.run(sql, ability=None))
        assert not any(secret in text for secret in SECRETS), (sql, text)
    rows = alice.run("SELECT name, email, born FROM formatted.customers ORDER BY id").rows()
    assert rows == [
        {"name": "Ann", "email": "a***@example.com", "born": 1980},
        {"name": "Cid", "email": "c***@example.net", "born": 1990},
    ]


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("SELECT ssn FROM formatted.customers", "formatted.customers.ssn"),
        ("SELECT c.ssn FROM formatted.customers c", "formatted.customers.ssn"),
        ("SELECT formatted.customers.ssn FROM formatted.customers", "formatted.customers.ssn"),
        ("SELECT * FROM exploitation.people", None),  # granted by analyst: masked, not refused
        ("SELECT * FROM quarantine.customers", "quarantine.customers"),
        ("SELECT * FROM landing.manifest", "landing.manifest"),
        ("SELECT * FROM _lakebox_manifest", "landing.manifest"),
        ("SELECT * FROM ops.audit", "ops.audit"),
        ("WITH customers AS (SELECT 1) SELECT * FROM customers", "common table expression"),
        ("SELECT * FROM system.main.duckdb_tables()", None),
        ("SELECT * FROM _lakebox_pg.pg_class", "no table"),
        ("SELECT * FROM pg_catalog.pg_class", "no table"),
        ("SHOW ALL TABLES", "SHOW"),
        ("SELECT * FROM information_schema.key_column_usage", "no table"),
    ],
)
def test_what_is_not_granted_is_refused_naming_the_grant(lh, sql, words):
    alice = _as(lh, "alice")
    if words is None:
        text = _text(alice.run(sql, ability=None))
        assert "111-22-3333" not in text
        return
    with pytest.raises(AccessDenied, match=words.replace(".", r"\.")):
        alice.run(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('in/customers.csv')",
        "SELECT * FROM 'in/customers.csv'",
        "SELECT * FROM read_parquet('warehouse/**/*.parquet')",
        "SELECT _lakebox_mask_hash('111-22-3333')",
        "SELECT * FROM query_table('formatted.customers')",
        "SELECT getvariable('lakebox_visible')",
    ],
)
def test_files_and_internal_functions_are_out_of_reach(lh, sql):
    with pytest.raises(QueryError):
        _as(lh, "alice").run(sql)


def test_catalog_listings_show_only_what_may_be_read(lh):
    alice = _as(lh, "alice")
    tables = (
        alice.run("SELECT table_schema || '.' || table_name AS t FROM information_schema.tables")
        .table.column("t")
        .to_pylist()
    )
    assert "formatted.customers" in tables and "exploitation.people" in tables
    assert not {"quarantine.customers", "landing.manifest", "ops.audit"} & set(tables)
    columns = (
        alice.run(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'customers'"
        )
        .table.column("column_name")
        .to_pylist()
    )
    assert "ssn" not in columns and "email" in columns
    listed = alice.run("SELECT schema_name, table_name FROM duckdb_tables()").rows()
    views = alice.run("SELECT schema_name, view_name FROM duckdb_views()").rows()
    names = {
        f"{r['schema_name']}.{r.get('table_name') or r.get('view_name')}" for r in listed + views
    }
    assert "quarantine.customers" not in names and "ops.audit" not in names


def test_viewers_may_not_write_sql_but_read_through_pages(lh):
    vic = _as(lh, "vic")
    with pytest.raises(AccessDenied, match="no grant of 'query'"):
        vic.run("SELECT 1")
    rows = vic.run("SELECT * FROM exploitation.people", ability=None).rows()
    assert len(rows) == 3 and all(len(row["ssn"]) == 64 for row in rows)  # keyed hash
    with pytest.raises(AccessDenied, match=r"formatted\.customers"):
        vic.run("SELECT * FROM formatted.customers", ability=None)


def test_hash_masks_are_keyed_and_stable(lh):
    first = _as(lh, "vic").run("SELECT ssn FROM exploitation.people ORDER BY id", ability=None)
    again = _as(lh, "vic").run("SELECT ssn FROM exploitation.people ORDER BY id", ability=None)
    hashed = first.table.column("ssn").to_pylist()
    assert hashed == again.table.column("ssn").to_pylist()
    import hashlib

    assert hashlib.sha256(b"111-22-3333").hexdigest() not in hashed  # not a plain hash


def test_admins_read_clear_values_and_every_query_is_audited(lh):
    root = _as(lh, "root")
    assert "111-22-3333" in _text(root.run("SELECT ssn FROM exploitation.people"))
    alice = _as(lh, "alice")
    alice.run("SELECT name, email FROM formatted.customers")
    with pytest.raises(AccessDenied):
        alice.run("SELECT ssn FROM formatted.customers")
    entries = access_control(lh).audit.entries(user="alice")
    refused, read = entries[0], entries[1]
    assert refused["outcome"] == "refused" and "ssn" in refused["detail"]
    assert read["outcome"] == "ok" and read["rows"] == 2 and read["door"] == "http"
    assert read["tables"] == ["formatted.customers"]
    assert set(read["columns"]) == {"formatted.customers.email", "formatted.customers.name"}
    assert access_control(lh).audit.entries(user="root", table="exploitation.people")


def test_a_missing_user_attribute_lets_no_row_through(lh):
    control = access_control(lh)
    control.users.add("nomad", ["eu_analyst"], "nomad-password")
    nomad = _as(lh, "nomad")
    assert nomad.run("SELECT * FROM formatted.customers").table.num_rows == 0


def test_quarantined_source_lines_are_redacted_where_the_formatted_table_is_guarded(lh):
    control = access_control(lh)
    control.users.add("eng", ["engineer"], "eng-password")
    principal = _as(lh, "eng").principal
    assert principal.mask_of("quarantine", "customers", "_raw").kind == "redact"
    assert principal.mask_of("quarantine", "customers", "_reason").kind == "redact"
    assert principal.mask_of("quarantine", "customers", "email").kind == "partial"
    assert (
        control.principal(control.users.get("root")).mask_of("quarantine", "customers", "_raw")
        is None
    )


def test_the_audit_log_is_for_admins_and_keeps_no_value_of_a_failed_query(lh):
    control = access_control(lh)
    control.users.add("eng", ["engineer"], "eng-password")
    with pytest.raises(AccessDenied, match=r"ops\.audit"):
        _as(lh, "eng").run("SELECT * FROM ops.audit")
    root = _as(lh, "root")
    with pytest.raises(QueryError, match="111-22-3333"):
        root.run("SELECT CAST(ssn AS INTEGER) FROM exploitation.people")
    failed = control.audit.entries(user="root", limit=1)[0]
    assert failed["outcome"] == "failed" and "111-22-3333" not in repr(failed)
    assert root.run("SELECT count(*) AS n FROM ops.audit").rows()[0]["n"] >= 1


def test_quarantined_rows_are_refused_under_the_formatted_tables_row_filters(lh):
    control = access_control(lh)
    control.users.add("eng", ["engineer"], "eng-password")  # reads every zone
    with pytest.raises(AccessDenied, match=r"quarantine\.customers"):
        _as(lh, "eng").run("SELECT * FROM quarantine.customers")
    assert _as(lh, "root").run("SELECT * FROM quarantine.customers").table is not None


def test_the_single_user_reads_every_table(lh):
    from lakebox.access.principal import Principal

    local = Principal.local()
    assert local.may_read_table("quarantine", "customers")
    assert local.may_read_table("ops", "audit")
