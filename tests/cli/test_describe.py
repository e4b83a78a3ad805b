"""`lakebox describe`, run as a user would, in a subprocess."""

from __future__ import annotations

import json

from tests.cli.conftest import lakebox


def test_describe_json(ran):
    result = lakebox("describe", "sales", "--json", cwd=ran)

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    settings = {s["name"]: (s["value"], s["origin"]) for s in document["settings"]}
    [snapshot] = document["snapshots"]
    [landed] = snapshot["landing"]
    assert (document["table"], document["kind"], document["snapshot_count"]) == (
        "formatted.sales",
        "source",
        1,
    )
    assert settings["delimiter"] == (",", "detected")
    assert settings["key"] == (["id"], "configured")
    assert settings["timezone"] == ("Europe/Madrid", "configured")
    assert document["files"]["count"] == 1 and document["files"]["rows"] == 2
    assert [version["current"] for version in document["schemas"]] == [True]
    assert landed["batch_id"] == snapshot["batch_ids"][0]
    assert landed["original_path"].endswith("exports/1.csv")
    assert landed["read_with"]["format"] == {"value": "csv", "origin": "detected"}


def test_describe_shows_tables(ran):
    result = lakebox("describe", "formatted.sales", "--snapshots", "1", cwd=ran)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("formatted.sales: source sales; 1 snapshot(s); Iceberg")
    for title in ("reader settings", "schema versions", "data files", "landing objects"):
        assert title in result.stdout
    assert "csv; encoding utf-8; delimiter ," in result.stdout


def test_describe_of_an_unknown_table_is_a_clear_error(ran):
    result = lakebox("describe", "nosuch", cwd=ran)

    assert result.returncode == 1
    assert result.stderr.startswith("error: no table 'nosuch'") and "Traceback" not in result.stderr
