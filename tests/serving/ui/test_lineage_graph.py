"""The lineage graph in headless Chromium, on the demo: opened from the store-traffic
dashboard, a table expanded to its columns, one column's path lit (the rest dimmed) and
followed through the side panel back to the landing objects of the client API source
(door_counts_live); and the graph on a table page. The assertions read the state the page's
script leaves in the DOM (classes and data attributes), not pixels."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import lakebox
from lakebox.catalog import TableRef

DASHBOARD = "dashboard:store-traffic"
HOURLY = "exploitation.traffic_store_hourly"
COLUMN = f"{HOURLY}.visitors"
# The way back from the dashboard's visitors to the client API's landing objects.
BACK_TO_LANDING = [
    "exploitation.traffic_sensor_hourly.visitors",
    "exploitation.door_readings.count",
    "formatted.door_counts_live.count",
    "landing.door_counts_live.count",
]
READY = ".lineage[data-state=ready]"


def classes(page, node_id: str) -> set[str]:
    found = page.locator(f'svg [data-id="{node_id}"]').first.get_attribute("class")
    return set((found or "").split())


def selected(page) -> str:
    return page.locator(".lineage").get_attribute("data-selected") or ""


def column_names(lh: lakebox.Lakehouse, table: str) -> list[str]:
    zone, _, name = table.partition(".")
    loaded = lh.catalog.load(TableRef(zone, name))
    assert loaded is not None
    return [field.name for field in loaded.schema().fields]


def test_a_column_is_followed_from_the_dashboard_back_to_a_landing_object(
    page, base_url, demo_lakehouse, screenshots
):
    page.goto(f"{base_url}/dashboards/store-traffic")
    page.click("#dashboard-lineage")
    page.wait_for_selector(READY)
    assert parse_qs(urlparse(page.url).query) == {"node": [DASHBOARD]}
    assert "start" in classes(page, DASHBOARD)
    assert page.locator("svg .lineage-column").count() == 0  # tables start folded

    # expand a table to its columns
    page.click(f'.lineage-header[data-id="{HOURLY}"]')
    box = page.locator(f'svg .lineage-node[data-id="{HOURLY}"]')
    assert box.get_attribute("data-expanded") == "true"
    shown = box.locator(".lineage-column").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert shown == [f"{HOURLY}.{name}" for name in column_names(demo_lakehouse, HOURLY)]

    # a column's path is lit from the landing objects to the dashboard, the rest dimmed
    page.click(f'svg .lineage-column[data-id="{COLUMN}"]')
    assert selected(page) == COLUMN
    assert {"lit", "selected"} <= classes(page, COLUMN)
    for on_path in [*BACK_TO_LANDING, DASHBOARD]:
        assert "lit" in classes(page, on_path), on_path
    assert "dim" in classes(page, f"{HOURLY}.store_id")
    assert "dim" in classes(page, "exploitation.stores")
    key = "formatted.door_counts_live.count\u2192exploitation.door_readings.count"
    assert "lit" in page.locator(f'svg path[data-key="{key}"]').get_attribute("class")
    landing_box = page.locator('svg .lineage-node[data-id="landing.door_counts_live"]')
    assert landing_box.get_attribute("data-expanded") == "true"  # opened to show the path
    page.screenshot(path=str(screenshots / "lineage-column-path.png"), full_page=True)

    # followed upstream, one link at a time, through the side panel
    for upstream in BACK_TO_LANDING:
        page.click(f'.lineage-upstream .lineage-follow[data-id="{upstream}"]')
        assert selected(page) == upstream
        assert "selected" in classes(page, upstream)
    assert page.locator(".lineage-upstream .lineage-follow").count() == 0  # nothing before

    # ... to the landing objects behind it, as the manifest lists them, newest first
    entries = demo_lakehouse.manifest.entries("door_counts_live")
    objects = page.locator(".lineage-landing .lineage-object")
    batches = objects.evaluate_all("items => items.map(i => i.dataset.batch)")
    assert batches == [entry.batch_id for entry in reversed(entries)][:5] and batches
    assert entries[-1].landed_path in objects.first.inner_text()
    page.screenshot(path=str(screenshots / "lineage-landing-objects.png"), full_page=True)

    page.click(".lineage-clear")
    assert page.locator("svg .dim, svg .lit").count() == 0
    assert selected(page) == ""


def test_a_table_page_draws_its_lineage_up_and_downstream(page, base_url):
    page.goto(f"{base_url}/catalog/exploitation/door_readings")
    page.wait_for_selector(f"#lineage {READY}")
    assert "start" in classes(page, "exploitation.door_readings")
    drawn = page.locator("svg .lineage-node").evaluate_all("nodes => nodes.map(n => n.dataset.id)")
    assert {"landing.door_counts_live", "formatted.door_counts", DASHBOARD} <= set(drawn)

    page.check(".lineage-columns")
    folded = page.locator('svg .lineage-node[data-expanded="false"]')
    kinds = set(folded.evaluate_all("nodes => nodes.map(n => n.dataset.kind)"))
    assert kinds and not kinds & {"table", "landing"}  # every table open, consumers have none

    page.select_option(".lineage-direction", "upstream")
    page.wait_for_selector(f"#lineage {READY}")
    drawn = page.locator("svg .lineage-node").evaluate_all("nodes => nodes.map(n => n.dataset.id)")
    assert "landing.door_counts_live" in drawn and DASHBOARD not in drawn


def test_a_table_outside_the_graph_says_so_without_an_error(page, base_url):
    page.goto(f"{base_url}/catalog/ops/runs")
    page.wait_for_selector("#lineage .lineage[data-state=absent]")
    assert "Not in the lineage graph" in page.locator("#lineage .lineage-state").inner_text()
    assert page.locator("#lineage .lineage-error .error").count() == 0
    assert not page.locator("#lineage .lineage-canvas").is_visible()
    assert not page.locator("#lineage-page").is_visible()  # its page would be a 404
