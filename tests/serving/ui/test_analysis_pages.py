"""The Forecasts, Anomalies and Models pages in headless Chromium, over the served demo project
(its `materials` forecast and its three anomaly rules run while it is built).

Each test reads what it expects from the lakehouse before it opens a page: the server's thread
is idle then, so the two never use the engine at once."""

from __future__ import annotations

import pytest

from lakebox.analysis import registry
from lakebox.analysis.sandbox import create_sandbox
from lakebox.analysis.training import train
from lakebox.catalog import TableRef

pytestmark = pytest.mark.slow

FORECAST = "analytics.forecast_materials"
METRICS = "analytics.forecast_materials_metrics"


def forecast_of(lh, material: str) -> list[dict]:
    return lh.query(
        f"SELECT ds, forecast, lo_80, hi_80, lo_95, hi_95, model FROM {FORECAST} "
        f"WHERE material = '{material}' ORDER BY ds"
    ).to_pylist()


def chart_trace(page, name: str) -> dict:
    """Return the Plotly trace called `name` of the page's #chart."""
    return page.evaluate(
        "(name) => document.querySelector('#chart').data.find((trace) => trace.name === name)",
        name,
    )


def test_the_forecast_list_shows_the_demo_forecast(page, base_url, demo_lakehouse, screenshots):
    series = demo_lakehouse.query(f"SELECT count(DISTINCT material) AS n FROM {FORECAST}")
    page.goto(base_url + "/forecasts")
    row = page.locator('tr.forecast-row[data-forecast="materials"]')
    assert row.locator("td.series-count").inner_text() == str(series["n"][0].as_py()) == "9"
    assert "exploitation.materials_monthly" in row.inner_text()
    page.screenshot(path=screenshots / "forecasts.png", full_page=True)
    row.locator("a").first.click()
    page.wait_for_url("**/forecasts/materials")


def test_the_chart_shows_the_picked_series_history_forecast_and_bands(
    page, base_url, demo_lakehouse, screenshots
):
    materials = [
        row["material"]
        for row in demo_lakehouse.query(
            f"SELECT DISTINCT material FROM {FORECAST} ORDER BY material"
        ).to_pylist()
    ]
    first, other = materials[0], materials[3]
    expected = {material: forecast_of(demo_lakehouse, material) for material in (first, other)}
    actuals = demo_lakehouse.query(
        "SELECT month, quantity_kg FROM exploitation.materials_monthly "
        f"WHERE material = '{first}' ORDER BY month"
    ).to_pylist()
    candidates = demo_lakehouse.query(
        f"SELECT model, chosen FROM {METRICS} WHERE material = '{other}'"
    ).to_pylist()

    page.goto(base_url + "/forecasts/materials")
    page.locator(f'#chart[data-series="{first}"]').wait_for()
    assert page.locator("#series option").all_inner_texts() == materials
    forecast = chart_trace(page, "forecast")
    assert forecast["x"] == [row["ds"].isoformat() for row in expected[first]]
    assert forecast["y"] == pytest.approx([row["forecast"] for row in expected[first]])
    band = chart_trace(page, "80% interval")
    assert band["y"] == pytest.approx([row["hi_80"] for row in expected[first]])
    assert chart_trace(page, "95% interval")["y"] == pytest.approx(
        [row["hi_95"] for row in expected[first]]
    )
    actual = chart_trace(page, "actual")
    assert actual["x"] == [row["month"].isoformat() for row in actuals]
    assert actual["y"] == pytest.approx([row["quantity_kg"] for row in actuals])
    assert page.locator("#model").inner_text() == expected[first][0]["model"]

    page.select_option("#series", other)
    page.locator(f'#chart[data-series="{other}"]').wait_for()
    switched = chart_trace(page, "forecast")
    assert switched["y"] == pytest.approx([row["forecast"] for row in expected[other]])
    assert switched["y"] != pytest.approx(forecast["y"])
    assert "series=" in page.url
    shown = page.locator("#metrics tr.candidate")
    assert shown.count() == len(candidates)
    chosen = [row["model"] for row in candidates if row["chosen"]]
    assert (
        page.locator("#metrics tr.chosen").evaluate_all(
            "rows => rows.map((row) => row.dataset.model)"
        )
        == chosen
    )
    assert page.locator("#model").inner_text() == expected[other][0]["model"]
    page.screenshot(path=screenshots / "forecast-materials.png", full_page=True)


def test_the_anomalies_page_counts_and_filters(page, base_url, demo_lakehouse, screenshots):
    def count(where: str = "TRUE") -> int:
        sql = f"SELECT count(*) AS n FROM analytics.anomalies WHERE {where}"
        return demo_lakehouse.query(sql)["n"][0].as_py()

    total = count()
    critical_hours = count("severity = 'critical' AND rule_name = 'sensor_hours'")
    bcn_june = count(
        "entity ILIKE '%bcn-01%' AND CAST(ts AS DATE) BETWEEN DATE '2025-06-01' AND '2025-06-30'"
    )
    assert 0 < critical_hours < total and 0 < bcn_june < total

    page.goto(base_url + "/anomalies")
    page.locator('#anomalies[data-query=""]').wait_for()
    assert page.locator("#total").inner_text() == str(total)
    assert page.locator("#anomalies tr.anomaly").count() == total
    counted = page.locator("#counts tbody td.num").all_inner_texts()
    assert sum(int(text.replace(",", "")) for text in counted) == total
    assert page.evaluate("document.querySelector('#chart').data.length") >= 1
    page.screenshot(path=screenshots / "anomalies.png", full_page=True)

    page.select_option("#severity", "critical")
    page.select_option("#rule", "sensor_hours")
    page.locator('#anomalies[data-query="rule=sensor_hours&severity=critical"]').wait_for()
    assert page.locator("#anomalies tr.anomaly").count() == critical_hours
    assert set(page.locator("#anomalies td.severity-critical").all_inner_texts()) == {"critical"}

    page.click("#clear")
    page.locator('#anomalies[data-query=""]').wait_for()
    page.fill("#entity", "BCN-01")
    page.fill("#since", "2025-06-01")
    page.fill("#until", "2025-06-30")
    page.click("#apply")
    page.locator("#anomalies[data-query*=until]").wait_for()
    assert page.locator("#anomalies tr.anomaly").count() == bcn_june
    assert "entity=BCN-01" in page.url

    page.locator("#anomalies tr.anomaly td a").first.click()
    page.wait_for_url("**/catalog/exploitation/traffic_*")


def test_the_models_page_lists_the_registry_and_predicts(
    page, base_url, demo_lakehouse, screenshots
):
    create_sandbox(
        demo_lakehouse,
        "ui_store_days",
        "SELECT local_date, visitors, 2 * visitors + 1 AS doubled "
        "FROM exploitation.traffic_store_daily",
    )
    first = train(demo_lakehouse, "ui_doubled", "ui_store_days", "doubled", ["visitors"], "linear")
    train(demo_lakehouse, "ui_doubled", "ui_store_days", "doubled", ["visitors"], "ridge")
    registry.promote(demo_lakehouse, "ui_doubled", first.version)
    snapshot = first.training_snapshots["analytics.sandbox_ui_store_days"]

    page.goto(base_url + "/models")
    model = page.locator('section.model[data-model="ui_doubled"]')
    versions = model.locator("tr.version")
    assert versions.evaluate_all("rows => rows.map((row) => row.dataset.version)") == ["2", "1"]
    assert model.locator('tr[data-version="1"] td.status-production').inner_text() == "production"
    assert model.locator('tr[data-version="2"]').inner_text().count("candidate") == 1
    snapshots = model.locator('tr[data-version="1"] code.snapshot').all_inner_texts()
    assert str(snapshot) in snapshots  # all 64 bits, never rounded

    model.locator('input[data-feature="visitors"]').fill("100")
    model.locator("form.predict button").click()
    prediction = model.locator(".prediction[data-value]")
    prediction.wait_for()
    assert float(prediction.get_attribute("data-value")) == pytest.approx(201.0)
    page.screenshot(path=screenshots / "models.png", full_page=True)


def test_run_now_makes_the_forecast_again(page, base_url, demo_lakehouse):
    table = demo_lakehouse.catalog.load(TableRef("analytics", "forecast_materials"))

    page.goto(base_url + "/forecasts/materials")
    made = page.locator("#created-at").get_attribute("data-snapshot")
    assert made == str(table.current_snapshot().snapshot_id)
    page.locator("#chart[data-series]").wait_for()
    page.click("#run-now")  # the page reloads when the forecast is made
    page.locator(f'#created-at:not([data-snapshot="{made}"])').wait_for(timeout=120_000)
    page.locator("#chart[data-series]").wait_for()
    table = demo_lakehouse.catalog.load(TableRef("analytics", "forecast_materials"))
    remade = page.locator("#created-at").get_attribute("data-snapshot")
    assert remade == str(table.current_snapshot().snapshot_id) != made
