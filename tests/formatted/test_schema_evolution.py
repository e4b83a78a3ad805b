"""Schema evolution: new columns are added, Iceberg-safe widening is allowed, an incompatible
file is quarantined whole (or fails, by config)."""

from __future__ import annotations

import pytest

from lakebox.errors import SchemaError
from lakebox.formatted.formatter import format_pending
from lakebox.landing.loader import land
from tests.conftest import write_file


def _ingest(lh, name="sales"):
    land(lh, name)
    return format_pending(lh, name)


def _columns(lh, table="formatted.sales"):
    return {
        row["column_name"]: row["column_type"]
        for row in lh.query(f"DESCRIBE SELECT * FROM {table}").to_pylist()
    }


def test_inferred_schema_is_frozen_and_new_columns_are_added(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(folder, "1.csv", "id,amount,day\n1,2.5,2024-01-01\n2,3,2024-01-02\n")
    lh = make_project({"sales": {"path": str(folder)}})
    _ingest(lh)
    assert _columns(lh)["amount"] == "DOUBLE" and _columns(lh)["day"] == "DATE"

    write_file(folder, "2.csv", "id,amount,day,channel\n3,4,2024-01-03,web\n")
    [result] = _ingest(lh)

    assert result.counts.rows_formatted == 1
    assert _columns(lh)["channel"] == "VARCHAR"
    rows = lh.query("SELECT id, channel FROM formatted.sales ORDER BY id").to_pylist()
    assert rows == [
        {"id": 1, "channel": None},
        {"id": 2, "channel": None},
        {"id": 3, "channel": "web"},
    ]


def test_a_missing_column_is_null_in_the_new_rows(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(folder, "1.csv", "id,amount\n1,2.5\n")
    lh = make_project({"sales": {"path": str(folder)}})
    _ingest(lh)
    write_file(folder, "2.csv", "id\n2\n")

    _ingest(lh)

    assert lh.query("SELECT amount FROM formatted.sales WHERE id = 2").to_pylist() == [
        {"amount": None}
    ]


def test_integer_widens_to_bigint(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(folder, "1.csv", "id,n\n1,5\n")
    lh = make_project({"sales": {"path": str(folder), "columns": {"n": {"type": "INTEGER"}}}})
    _ingest(lh)
    assert _columns(lh)["n"] == "INTEGER"
    write_file(folder, "2.csv", "id,n\n2,9000000000\n")

    [result] = _ingest(lh)

    assert result.counts.rows_formatted == 1
    assert _columns(lh)["n"] == "BIGINT"
    assert lh.query("SELECT max(n) AS n FROM formatted.sales").to_pylist() == [{"n": 9000000000}]


def test_an_incompatible_file_is_quarantined_whole(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(folder, "1.csv", "id,amount\n1,2.5\n2,3.5\n")
    lh = make_project({"sales": {"path": str(folder)}})
    _ingest(lh)
    write_file(folder, "2.csv", "id,amount\n3,high\n4,low\n")

    [result] = _ingest(lh)

    assert result.status == "quarantined"
    assert "incompatible schema change" in result.error and "'amount'" in result.error
    assert (result.counts.rows_read, result.counts.rows_quarantined) == (2, 2)
    assert lh.query("SELECT count(*) AS n FROM formatted.sales").to_pylist() == [{"n": 2}]
    raws = lh.query("SELECT _raw FROM quarantine.sales ORDER BY _source_line").column(0)
    assert [value.as_py() for value in raws] == [
        '{"id":"3","amount":"high"}',
        '{"id":"4","amount":"low"}',
    ]


def test_an_incompatible_file_fails_when_configured(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(folder, "1.csv", "id,amount\n1,2.5\n")
    lh = make_project({"sales": {"path": str(folder), "on_incompatible": "fail"}})
    _ingest(lh)
    write_file(folder, "2.csv", "id,amount\n3,high\n")

    with pytest.raises(SchemaError, match=r"2\.csv: incompatible schema change"):
        _ingest(lh)

    [entry] = lh.manifest.entries("sales", "failed")
    assert "amount" in entry.error


def test_a_few_bad_values_quarantine_rows_not_the_file(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(folder, "1.csv", "id,amount\n1,2.5\n")
    lh = make_project({"sales": {"path": str(folder)}})
    _ingest(lh)
    write_file(folder, "2.csv", "id,amount\n2,3.5\n3,oops\n")

    [result] = _ingest(lh)

    assert (result.status, result.counts.rows_formatted, result.counts.rows_quarantined) == (
        "formatted",
        1,
        1,
    )
    [row] = lh.query("SELECT _reason, _column, _source_line FROM quarantine.sales").to_pylist()
    assert row == {
        "_reason": "amount: 'oops' is not a DOUBLE",
        "_column": "amount",
        "_source_line": 3,
    }


def test_times_of_day_are_inferred_as_timestamps_not_dates(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(folder, "1.csv", "id,seen_at,day\n1,2026-03-01 08:00:00,2026-03-01\n")
    lh = make_project({"sales": {"path": str(folder), "timezone": "Europe/Madrid"}})
    _ingest(lh)
    assert _columns(lh)["seen_at"] == "TIMESTAMP WITH TIME ZONE"
    assert _columns(lh)["day"] == "DATE"
    [row] = lh.query("SELECT strftime(seen_at, '%H:%M') AS hm FROM formatted.sales").to_pylist()
    assert row == {"hm": "07:00"}


def test_a_value_lost_in_conversion_is_quarantined(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(folder, "1.csv", "id,at\n1,2026-03-01 08:00\n2,05-03-2026\n")
    lh = make_project(
        {
            "sales": {
                "path": str(folder),
                "date_formats": [],
                "columns": {"at": {"type": "TIMESTAMP"}},
            }
        }
    )

    [result] = _ingest(lh)

    assert (result.counts.rows_formatted, result.counts.rows_quarantined) == (1, 1)
    [row] = lh.query("SELECT _column, _reason FROM quarantine.sales").to_pylist()
    assert row["_column"] == "at" and "'05-03-2026'" in row["_reason"]


def test_nested_objects_can_be_kept_as_structs(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(
        folder,
        "1.ndjson",
        '{"id": 1, "geo": {"lat": 41.4, "city": "BCN"}}\n{"id": 2, "geo": {"lat": 45.8}}\n',
    )
    lh = make_project({"events": {"path": str(folder), "nested": "struct"}})
    _ingest(lh, "events")

    assert _columns(lh, "formatted.events")["geo"] == "STRUCT(lat DOUBLE, city VARCHAR)"
    rows = lh.query(
        "SELECT id, geo.lat AS lat, geo.city AS city FROM formatted.events ORDER BY id"
    ).to_pylist()
    assert rows == [{"id": 1, "lat": 41.4, "city": "BCN"}, {"id": 2, "lat": 45.8, "city": None}]


def test_nested_objects_are_flattened_by_default(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(folder, "1.ndjson", '{"id": 1, "geo": {"lat": 41.4, "city": "BCN"}}\n')
    lh = make_project({"events": {"path": str(folder)}})
    _ingest(lh, "events")

    assert {"geo_lat", "geo_city"} <= set(_columns(lh, "formatted.events"))
