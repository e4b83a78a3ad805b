"""`lakebox profile`, run as a user would, in a subprocess."""

from __future__ import annotations

import json

from tests.cli.conftest import lakebox


def test_profile_json(ran):
    result = lakebox("profile", "formatted.sales", "--json", "--top", "1", "--bins", "2", cwd=ran)

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    columns = {column["name"]: column for column in document["columns"]}
    assert (document["table"], document["rows"]) == ("formatted.sales", 2)
    assert columns["amount"]["histogram"] == [[10, 16, 1], [16, 22, 1]]  # whole bins
    assert {key: columns["id"][key] for key in ("null_share", "distinct_count", "min", "max")} == {
        "null_share": 0.0,
        "distinct_count": 2,
        "min": "1",
        "max": "2",
    }
    assert columns["id"]["top_values"] == [["1", 1]]


def test_profile_is_stored_and_shown(ran):
    result = lakebox("profile", "formatted.sales", cwd=ran)
    stored = lakebox(
        "query",
        "SELECT DISTINCT table_name, rows FROM ops.profiles",
        "--format",
        "json",
        cwd=ran,
    )

    assert result.returncode == 0, result.stderr
    assert "profile of formatted.sales" in result.stdout and "amount" in result.stdout
    assert json.loads(stored.stdout) == [{"table_name": "formatted.sales", "rows": 2}]


def test_profile_of_an_unknown_table_is_a_clear_error(ran):
    result = lakebox("profile", "formatted.nosuch", cwd=ran)

    assert result.returncode == 1
    assert result.stderr.startswith("error: no table 'formatted.nosuch'")
    assert "lakebox tables" in result.stderr and "Traceback" not in result.stderr
