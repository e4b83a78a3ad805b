"""The demo's dashboards in headless Chromium: real numbers, filters that narrow them, the
resolution switch, tabs, CSV download and a broken file's error page."""

from __future__ import annotations

import csv
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest

SETTLED = """() => {
    const query = new URLSearchParams(location.search);
    query.delete("tab");
    const cards = [...document.querySelectorAll(".chart-card:not([hidden])")];
    return cards.length > 0 && cards.every((card) => card.dataset.state === "ready"
        && card.dataset.query === query.toString());
}"""
STORE_TRAFFIC_WHERE = """
    WHERE store_id = ? AND weekday IN (SELECT unnest(?))
      AND local_date BETWEEN ? AND ? AND hour BETWEEN ? AND ?"""


def settled(page) -> None:
    """Wait until every chart of the open tab is drawn for the filters in the page's address.
    Only then may a test run its own SQL: the server shares the lakehouse's connection."""
    page.wait_for_function(SETTLED)


def kpi(page, chart: str) -> float:
    value = page.locator(f'.chart-card[data-chart="{chart}"] .kpi-value').get_attribute(
        "data-value"
    )
    return float(value)


def filters_of(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query, keep_blank_values=True)


def traffic_total(lh, filters: dict[str, list[str]], measure: str = "sum(visitors)") -> float:
    """The store's visitors (or another measure) for the page's filters, with plain SQL."""
    parameters = [
        filters["store"][0],
        [int(day) for day in filters["weekday"] if day],
        date.fromisoformat(filters["dates_from"][0]),
        date.fromisoformat(filters["dates_to"][0]),
        int(filters["hours_from"][0]),
        int(filters["hours_to"][0]),
    ]
    sql = f"SELECT {measure} AS n FROM exploitation.traffic_store_hourly {STORE_TRAFFIC_WHERE}"
    return float(lh.engine.arrow(sql, parameters).to_pylist()[0]["n"] or 0)


def plotted_total(page, chart: str) -> float:
    """The sum of every y value Plotly drew in a chart."""
    return page.evaluate(
        """(chart) => document.querySelector(`.chart-card[data-chart="${chart}"] .chart-body`)
            .data.reduce((sum, trace) => sum + trace.y.reduce((a, b) => a + (b || 0), 0), 0)""",
        chart,
    )


@pytest.mark.slow
def test_store_traffic_filters_narrow_the_data(page, base_url, demo_lakehouse, screenshots):
    page.goto(base_url + "/dashboards")
    page.click('a[data-dashboard="store-traffic"]')
    settled(page)
    filters = filters_of(page)
    assert filters["store"] == ["BCN-01"] and filters["grain"] == ["hourly"]
    first = kpi(page, "visitors_total")
    assert first > 0 and first == traffic_total(demo_lakehouse, filters)
    assert plotted_total(page, "visitors") == first
    hours = int(page.locator('[data-chart="visitors"]').get_attribute("data-rows"))
    assert 13 * 24 < hours == traffic_total(demo_lakehouse, filters, "count(*)")

    page.select_option('.filter[data-filter="store"] select', "MIL-01")
    settled(page)
    assert filters_of(page)["store"] == ["MIL-01"]
    other = kpi(page, "visitors_total")
    assert other != first and other == traffic_total(demo_lakehouse, filters_of(page))
    names = page.evaluate(
        "() => document.querySelector('[data-chart=visitors] .chart-body').data.map(t => t.name)"
    )
    assert names == ["MIL-01"]

    page.focus('.filter[data-filter="dates"] input.range-from')
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    settled(page)
    narrowed = filters_of(page)
    assert date.fromisoformat(narrowed["dates_from"][0]) == date(2025, 6, 24)
    fewer_days = kpi(page, "visitors_total")
    assert 0 < fewer_days < other
    assert fewer_days == traffic_total(demo_lakehouse, narrowed)
    label = page.locator('.filter[data-filter="dates"] .range-from-label').inner_text()
    assert label == "2025-06-24"

    page.focus('.filter[data-filter="hours"] input.range-to')
    for _ in range(6):
        page.keyboard.press("ArrowLeft")
    settled(page)
    assert filters_of(page)["hours_to"] == ["17"]
    fewer_hours = kpi(page, "visitors_total")
    assert 0 < fewer_hours < fewer_days
    assert fewer_hours == traffic_total(demo_lakehouse, filters_of(page))
    assert page.locator('[data-chart="by_hour"]').get_attribute("data-rows") == "18"

    page.click('.filter[data-filter="grain"] button[data-value="daily"]')
    settled(page)
    assert filters_of(page)["grain"] == ["daily"]
    assert page.locator('[data-chart="visitors"]').get_attribute("data-rows") == "7"
    assert plotted_total(page, "visitors") == fewer_hours
    page.screenshot(path=screenshots / "dashboard-store-traffic.png", full_page=True)

    page.reload()  # the address holds the view
    settled(page)
    assert kpi(page, "visitors_total") == fewer_hours
    assert page.locator('[data-chart="visitors"]').get_attribute("data-rows") == "7"


@pytest.mark.slow
def test_store_traffic_table_tab_downloads_its_csv(page, base_url, demo_lakehouse, screenshots):
    page.goto(
        base_url + "/dashboards/store-traffic?store=LYS-01&level=sensor&grain=daily"
        "&dates_from=2025-06-20&dates_to=2025-06-26&weekday=1&weekday=2&weekday=3"
    )
    settled(page)
    page.click('#tabs button[data-tab="table"]')
    settled(page)
    assert page.locator('[data-chart="visitors"]').is_hidden()
    assert filters_of(page)["tab"] == ["table"]
    grid = page.locator('[data-chart="rows"] table.grid tbody tr')
    expected = demo_lakehouse.query(
        "SELECT local_date, sensor, sum(visitors) AS visitors, "
        "count(*) FILTER (WHERE failed) AS failed FROM exploitation.traffic_sensor_hourly "
        "WHERE store_id = 'LYS-01' AND local_date BETWEEN '2025-06-20' AND '2025-06-26' "
        "AND weekday IN (1, 2, 3) GROUP BY ALL ORDER BY local_date, sensor"
    ).to_pylist()
    assert len(expected) == 3 * 4  # three weekdays, four sensors
    assert grid.count() == len(expected)
    page.screenshot(path=screenshots / "dashboard-store-traffic-table.png", full_page=True)

    with page.expect_download() as download:
        page.click('[data-chart="rows"] a.csv')
    assert download.value.suggested_filename == "store-traffic-rows.csv"
    with open(download.value.path(), newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["time", "sensor", "visitors", "failed_readings"]
    assert [
        (row["time"], row["sensor"], int(row["visitors"]), int(row["failed_readings"]))
        for row in rows
    ] == [(r["local_date"].isoformat(), r["sensor"], r["visitors"], r["failed"]) for r in expected]


@pytest.mark.slow
def test_materials_dashboard(page, base_url, demo_lakehouse, screenshots):
    page.goto(base_url + "/dashboards/materials")
    settled(page)
    tonnes = demo_lakehouse.query(
        "SELECT round(sum(quantity_kg) / 1000, 1) AS t FROM exploitation.materials_monthly"
    ).to_pylist()[0]["t"]
    assert kpi(page, "total") == tonnes > 0
    assert kpi(page, "months_count") == 48
    materials = page.locator('.filter[data-filter="material"] input[type=checkbox]')
    assert materials.count() == 9
    traces = page.evaluate(
        "() => document.querySelector('[data-chart=monthly] .chart-body').data.length"
    )
    assert traces == 9
    page.screenshot(path=screenshots / "dashboard-materials.png", full_page=True)

    page.click('.filter[data-filter="material"] .chip:has-text("Arcilla roja")')
    settled(page)
    assert "Arcilla roja" not in filters_of(page)["material"]
    without_clay = demo_lakehouse.query(
        "SELECT round(sum(quantity_kg) / 1000, 1) AS t FROM exploitation.materials_monthly "
        "WHERE material <> 'Arcilla roja'"
    ).to_pylist()[0]["t"]
    assert kpi(page, "total") == without_clay < tonnes


@pytest.mark.slow
def test_a_broken_dashboard_shows_its_error_and_spares_the_others(page, base_url, demo_lakehouse):
    broken = demo_lakehouse.project_dir / "dashboards" / "broken.yaml"
    broken.write_text("title: Broken\ncharts:\n  a:\n    kind: pie\n    sql: SELECT 1\n")
    try:
        page.goto(base_url + "/dashboards")
        assert page.locator(".dashboard-card").count() == 4  # the demo's three and this one
        card = page.locator('a[data-dashboard="broken"]')
        assert "broken.yaml:4: charts.a.kind: unknown chart kind 'pie'" in card.inner_text()
        card.click()
        assert "unknown chart kind 'pie'" in page.locator("#dashboard-error").inner_text()
        page.goto(base_url + "/dashboards/materials")
        settled(page)
    finally:
        broken.unlink()
