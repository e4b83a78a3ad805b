"""The real `psql` binary against the endpoint: meta-commands, queries, variables, refusals."""

from __future__ import annotations

import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(shutil.which("psql") is None, reason="psql is not installed")


def psql(url: str, *commands: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    arguments = ["psql", url, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    for command in commands:
        arguments += ["-c", command]
    done = subprocess.run(arguments, capture_output=True, text=True, timeout=60)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_schemas_are_the_zones(url):
    lines = psql(url, r"\dn").stdout.splitlines()
    schemas = [line.split("|")[0] for line in lines]
    assert schemas == ["analytics", "exploitation", "formatted", "landing", "ops", "quarantine"]


def test_tables_are_listed_as_tables(url):
    visible = psql(url, r"\dt").stdout.splitlines()
    assert visible == ["exploitation|totals|table|lakebox"]
    formatted = psql(url, r"\dt formatted.*").stdout.splitlines()
    assert formatted == ["formatted|sales|table|lakebox"]
    everything = psql(url, r"\dt *.*").stdout
    assert "landing|manifest|table" in everything and "quarantine|sales|table" in everything


def test_a_table_is_described_with_types_and_descriptions(url):
    described = psql(url, r"\d+ formatted.sales").stdout
    assert "store|text||||plain||0|Store code." in described
    assert "amount|double precision" in described
    assert "_ingested_at|timestamp with time zone" in described
    assert "lakebox|lakebox|UTF8" in psql(url, r"\l").stdout


def test_a_query_and_a_variable(url):
    rows = psql(url, "SELECT store, amount FROM exploitation.totals ORDER BY store").stdout
    assert rows.splitlines() == ["BCN|14.5", "LYS|20"]
    done = subprocess.run(
        ["psql", url, "-X", "-A", "-t", "-v", "id=2", "-v", "store=BCN"],
        input="SELECT count(*) FROM formatted.sales WHERE id >= :id OR store = :'store';\n",
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.strip() == "3", done.stderr


def test_a_write_is_refused_and_nothing_changes(url):
    done = psql(url, "INSERT INTO formatted.sales (id) VALUES (99)", check=False)
    assert done.returncode != 0
    assert "only reading statements are allowed here, not INSERT" in done.stderr
    assert psql(url, "SELECT count(*) FROM formatted.sales").stdout.strip() == "3"
    for statement in ("DROP VIEW formatted.sales", "COPY formatted.sales TO '/tmp/x.csv'"):
        assert "only reading" in psql(url, statement, check=False).stderr


def test_session_statements_are_answered(url):
    out = psql(url, "BEGIN", "SET search_path = formatted", "SHOW search_path",
               "SELECT current_schema(), count(*) FROM sales", "COMMIT").stdout  # fmt: skip
    assert out.splitlines() == ["BEGIN", "SET", "formatted", "formatted|3", "COMMIT"]
