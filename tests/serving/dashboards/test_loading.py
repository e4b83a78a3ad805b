"""Reading dashboard YAML: every mistake is named with its file, line and key."""

from __future__ import annotations

import os

import pytest

from lakebox.errors import DashboardError
from lakebox.serving.dashboards import DashboardFolder, parse
from lakebox.serving.dashboards.spec import DateRangeFilter, MultiSelectFilter, SelectFilter
from tests.serving.dashboards.conftest import DASHBOARD

MINIMAL = """title: Sales
filters:
  store:
    kind: select
    options: [BCN, LYS]
charts:
  total:
    kind: kpi
    value: n
    sql: SELECT count(*) AS n FROM formatted.sales WHERE store = $store
"""


def error_of(text: str) -> str:
    with pytest.raises(DashboardError) as caught:
        parse(text, "dashboards/sales.yaml")
    return caught.value.message


def test_the_test_dashboard_is_valid():
    board = parse(DASHBOARD)
    assert list(board.filters) == ["store", "weekday", "days", "hours", "grain"]
    assert isinstance(board.filters["weekday"], MultiSelectFilter)
    assert board.filters["weekday"].options[0].value == 1
    assert board.tab_of(board.charts["total"]) == "main"
    assert board.tab_of(board.charts["rows"]) == "rows"


def test_shorthands_are_expanded():
    board = parse(MINIMAL.replace("value: n", "value: n\n    title: Count"))
    store = board.filters["store"]
    assert isinstance(store, SelectFilter)
    assert [(option.value, option.shown) for option in store.options] == [
        ("BCN", "BCN"),
        ("LYS", "LYS"),
    ]
    line = parse(MINIMAL.replace("kind: kpi\n    value: n", "kind: line\n    x: a\n    y: n"))
    assert line.charts["total"].y == ["n"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    value: n\n", "    value: n\n    colour: red\n"),
            "sales.yaml:10: charts.total.colour: unknown key 'colour'",
        ),
        (("kind: kpi", "kind: pie"), "sales.yaml:8: charts.total.kind: unknown chart kind 'pie'"),
        (
            ("kind: select", "kind: dropdown"),
            "sales.yaml:4: filters.store.kind: unknown filter kind 'dropdown'",
        ),
        (
            ("$store", "$shop"),
            "sales.yaml:10: charts.total.sql: the SQL uses $shop, which no filter gives",
        ),
        (("title: Sales\n", ""), "sales.yaml:1: (top level): missing required key 'title'"),
        (("    value: n\n", ""), "sales.yaml:7: charts.total: a kpi chart needs 'value'"),
        (("  store:\n", "  Store:\n"), "sales.yaml:3: filters.Store: filter name 'Store' must be"),
        (("  store:\n", "  tab:\n"), "sales.yaml:3: filters.tab: filter name 'tab' must be"),
        (
            ("SELECT count(*)", "DELETE FROM formatted.sales; SELECT count(*)"),
            "sales.yaml:10: charts.total.sql: send one statement at a time",
        ),
        (
            ("    value: n\n", "    value: n\n    tab: other\n"),
            "sales.yaml:10: charts.total.tab: unknown tab 'other'; tabs: none are declared",
        ),
        (
            ("options: [BCN, LYS]", "options: [BCN, LYS]\n    options_sql: SELECT 1"),
            "sales.yaml:3: filters.store: give exactly one of 'options'",
        ),
        (
            ("= $store", "= '{{ grain.table }}'"),
            "sales.yaml:10: charts.total.sql: {{ grain }} names no resolution filter",
        ),
        (("  total:", "  Total!:"), "sales.yaml:7: charts.Total!: name 'Total!' must be"),
    ],
)
def test_a_mistake_is_named_with_its_line(change, expected):
    assert expected in error_of(MINIMAL.replace(*change))


def test_a_filter_sql_may_only_use_the_filters_above_it():
    text = MINIMAL.replace(
        "filters:\n",
        "filters:\n  city:\n    kind: select\n"
        "    options_sql: SELECT city FROM formatted.shops WHERE store = $store\n",
    )
    message = error_of(text)
    assert message.__contains__("sales.yaml:5: filters.city.options_sql: the SQL uses $store")


def test_resolution_options_and_fragments_are_checked():
    resolution = (
        "  grain:\n    kind: resolution\n    options:\n"
        "      - {value: hourly, fragments: {table: sales_hourly}}\n"
        "      - {value: daily, fragments: {table: sales_daily}}\n"
    )
    base = MINIMAL.replace("charts:\n", resolution + "charts:\n")
    assert parse(base.replace("formatted.sales", "formatted.{{ grain.table }}"))
    unknown = error_of(base.replace("formatted.sales", "formatted.{{ grain.tabel }}"))
    assert unknown.__contains__(
        "sales.yaml:15: charts.total.sql: resolution 'grain' has no fragment 'tabel'"
    )
    uneven = error_of(base.replace("{table: sales_daily}", "{tables: sales_daily}"))
    assert uneven.__contains__(
        "sales.yaml:6: filters.grain: option 'daily' has fragments ['tables']"
    )
    pasted = error_of(base.replace("value: daily", "value: 'daily; DROP TABLE x'"))
    assert pasted.__contains__("sales.yaml:10: filters.grain.options.1.value: resolution value")


def test_a_writing_fragment_is_refused_under_its_option():
    text = MINIMAL.replace(
        "charts:\n",
        "  grain:\n    kind: resolution\n    options:\n"
        "      - {value: a, fragments: {where: 'TRUE'}}\n"
        "      - {value: b, fragments: {where: 'TRUE; DROP TABLE formatted.sales'}}\n"
        "charts:\n",
    ).replace("WHERE store = $store", "WHERE {{ grain.where }} AND store = $store")
    assert "(with grain=b)" in error_of(text)


def test_yaml_syntax_errors_name_the_line():
    assert error_of("title: x\ncharts: [\n  a: b\n").__contains__(
        "dashboards/sales.yaml:4: not valid YAML"
    )
    assert error_of("- a list\n").__contains__("dashboards/sales.yaml:1: a dashboard is a mapping")


def test_date_ranges_need_bounds_and_ordered_defaults():
    dates = "  days:\n    kind: date_range\n    bounds: [2025-01-01, 2025-12-31]\n"
    board = parse(MINIMAL.replace("charts:\n", dates + "charts:\n"))
    assert isinstance(board.filters["days"], DateRangeFilter)
    backwards = dates.replace("[2025-01-01, 2025-12-31]", "[2025-12-31, 2025-01-01]")
    assert "comes after" in error_of(MINIMAL.replace("charts:\n", backwards + "charts:\n"))
    both = dates + "    default_days: 7\n    default: [2025-01-01, 2025-01-02]\n"
    assert "not both" in error_of(MINIMAL.replace("charts:\n", both + "charts:\n"))


def test_one_broken_file_does_not_hide_the_others_and_changes_are_reread(tmp_path):
    (tmp_path / "good.yaml").write_text(MINIMAL)
    (tmp_path / "bad.yaml").write_text(MINIMAL.replace("kind: kpi", "kind: pie"))
    (tmp_path / "Bad Name.yaml").write_text(MINIMAL)
    folder = DashboardFolder(tmp_path)
    entries = {entry.name: entry for entry in folder.entries()}
    assert entries["good"].dashboard is not None and entries["good"].error is None
    assert entries["bad"].dashboard is None
    assert "bad.yaml:8: charts.total.kind: unknown chart kind 'pie'" in str(entries["bad"].error)
    assert "file name becomes its URL" in str(entries["Bad Name"].error)
    first = folder.get("good")
    assert folder.get("good") is first  # unchanged: not read again
    (tmp_path / "good.yaml").write_text(MINIMAL.replace("title: Sales", "title: Sales, v2"))
    stat = (tmp_path / "good.yaml").stat()
    os.utime(tmp_path / "good.yaml", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert folder.get("good").dashboard.title == "Sales, v2"
    (tmp_path / "bad.yaml").unlink()
    assert folder.get("bad") is None


def test_a_missing_folder_has_no_dashboards(tmp_path):
    assert DashboardFolder(tmp_path / "dashboards").entries() == []
