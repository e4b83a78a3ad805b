"""Table profiles: known values for a small formatted table, stored in ops.profiles."""

from __future__ import annotations

import json

import pytest

from lakebox.catalog import TableRef
from lakebox.errors import CatalogError
from lakebox.formatted.formatter import format_pending
from lakebox.landing.loader import land
from lakebox.quality.profile import latest_profile, profile
from tests.conftest import write_file

SALES = (
    "id,amount,day,channel,paid,at\n"
    "1,2.5,2024-01-01,web,true,2024-01-01T00:00:00Z\n"
    "2,,2024-01-02,shop,false,2024-01-01T06:00:00Z\n"
    "3,10,2024-01-02,web,true,2024-01-01T12:00:00Z\n"
    "4,7.5,2024-01-05,,true,2024-01-01T13:00:00Z\n"
    "5,0,2024-01-10,web,,2024-01-02T00:00:00Z\n"
)


@pytest.fixture
def sales(make_project, tmp_path):
    folder = tmp_path / "in"
    write_file(folder, "1.csv", SALES)
    lh = make_project({"sales": {"path": str(folder)}})
    _ingest(lh)
    return lh


def _ingest(lh):
    land(lh, "sales")
    format_pending(lh, "sales")


def _by_name(result):
    return {column.name: column for column in result.columns}


def test_null_share_distinct_and_min_max(sales):
    columns = _by_name(profile(sales, "formatted.sales"))

    summary = {
        name: (c.null_share, c.distinct_count, c.min, c.max)
        for name, c in columns.items()
        if name in {"id", "amount", "day", "channel", "paid"}
    }
    assert summary == {
        "id": (0.0, 5, "1", "5"),
        "amount": (0.2, 4, "0.0", "10.0"),
        "day": (0.0, 4, "2024-01-01", "2024-01-10"),
        "channel": (0.2, 2, "shop", "web"),
        "paid": (0.2, 2, "false", "true"),
    }


def test_top_values_are_the_most_frequent_ties_by_value(sales):
    columns = _by_name(profile(sales, "formatted.sales", top=3))

    assert columns["channel"].top_values == [("web", 3), ("shop", 1)]
    assert columns["paid"].top_values == [("true", 3), ("false", 1)]
    assert columns["day"].top_values == [("2024-01-02", 2), ("2024-01-01", 1), ("2024-01-05", 1)]
    assert columns["amount"].top_values == [("0.0", 1), ("2.5", 1), ("7.5", 1)]


def test_histograms_by_kind(sales):
    columns = _by_name(profile(sales, "formatted.sales", bins=4))

    assert columns["amount"].histogram == [
        (0.0, 2.5, 1),
        (2.5, 5.0, 1),
        (5.0, 7.5, 0),
        (7.5, 10.0, 2),
    ]
    assert columns["id"].histogram == [(1, 3, 2), (3, 5, 2), (5, 7, 1)]
    assert columns["day"].histogram == [
        ("2024-01-01", "2024-01-04", 3),
        ("2024-01-04", "2024-01-07", 1),
        ("2024-01-07", "2024-01-10", 0),
        ("2024-01-10", "2024-01-13", 1),
    ]
    assert columns["at"].histogram == [
        ("2024-01-01T00:00:00+00:00", "2024-01-01T06:00:00+00:00", 1),
        ("2024-01-01T06:00:00+00:00", "2024-01-01T12:00:00+00:00", 1),
        ("2024-01-01T12:00:00+00:00", "2024-01-01T18:00:00+00:00", 2),
        ("2024-01-01T18:00:00+00:00", "2024-01-02T00:00:00+00:00", 1),
    ]
    assert columns["channel"].histogram == [(3, 4, 3), (4, 5, 1)]  # value lengths
    assert columns["paid"].histogram == []


def test_histogram_counts_sum_to_the_non_null_rows(sales):
    result = profile(sales, "formatted.sales")

    binned = [column for column in result.columns if column.histogram]
    assert len(binned) == len(result.columns) - 1  # all but the boolean
    for column in binned:
        non_null = round(result.rows * (1 - column.null_share))
        assert sum(count for _, _, count in column.histogram) == non_null, column.name
        assert len(column.histogram) <= 20


def test_the_table_is_read_twice_plus_once_per_column(sales, monkeypatch):
    scans = []
    execute = sales.engine.execute

    def recording(sql, parameters=None):
        if sql.startswith("SELECT") and "iceberg_scan(" in sql:
            scans.append(sql)
        return execute(sql, parameters)

    monkeypatch.setattr(sales.engine, "execute", recording)
    result = profile(sales, "formatted.sales")

    assert len(scans) == 2 + len(result.columns)


def test_the_profile_is_of_the_current_snapshot_and_stored(sales):
    result = profile(sales, "formatted.sales")

    stored = sales.query("SELECT * FROM ops.profiles ORDER BY position").to_pylist()
    current = sales.catalog.load(TableRef("formatted", "sales")).current_snapshot()
    assert result.snapshot_id == current.snapshot_id and result.rows == 5
    assert [row["column_name"] for row in stored] == [c.name for c in result.columns]
    channel = next(row for row in stored if row["column_name"] == "channel")
    assert channel["table_name"] == "formatted.sales"
    assert channel["snapshot_id"] == result.snapshot_id
    assert (channel["rows"], channel["null_share"], channel["distinct_count"]) == (5, 0.2, 2)
    assert json.loads(channel["top_values"]) == [["web", 3], ["shop", 1]]
    assert json.loads(channel["histogram"])[0] == [3, 4, 3]
    assert latest_profile(sales, "formatted.sales") == result


def test_latest_profile_is_the_newest(sales, tmp_path):
    assert latest_profile(sales, "formatted.sales") is None
    first = profile(sales, "formatted.sales")
    write_file(tmp_path / "in", "2.csv", "id,amount\n6,1.5\n")
    _ingest(sales)

    second = profile(sales, "formatted.sales")

    stored = sales.query("SELECT count(DISTINCT profiled_at) AS n FROM ops.profiles")
    assert stored.to_pylist() == [{"n": 2}]
    assert (first.rows, second.rows) == (5, 6)
    assert latest_profile(sales, "formatted.sales") == second
    assert latest_profile(sales, "quarantine.sales") is None


def test_a_table_of_another_zone(sales):
    profile(sales, "formatted.sales")

    result = profile(sales, "ops.profiles", top=1)

    assert result.rows == len(_by_name(latest_profile(sales, "formatted.sales")))
    assert _by_name(result)["table_name"].top_values == [("formatted.sales", result.rows)]


@pytest.mark.parametrize("name", ["formatted.nosuch", "sales"])
def test_an_unknown_table_says_how_to_list_tables(sales, name):
    with pytest.raises(CatalogError) as raised:
        profile(sales, name)
    assert "lakebox tables" in str(raised.value)
