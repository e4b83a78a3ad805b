"""The overview page in headless Chromium."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_the_overview_shows_every_zone_with_its_table_count(page, base_url, screenshots):
    page.goto(base_url + "/")
    cards = page.locator(".card")
    labels = [label.lower() for label in cards.locator(".label").all_inner_texts()]
    assert {"formatted", "exploitation", "quarantine"} <= set(labels)
    exploitation = cards.filter(has_text="exploitation").locator(".value").inner_text()
    assert int(exploitation.replace(",", "")) >= 9
    page.screenshot(path=screenshots / "overview.png", full_page=True)


@pytest.mark.slow
def test_the_overview_shows_checks_quarantine_and_recent_runs(page, base_url, demo_lakehouse):
    # Expectations are read before the page opens, while the server's engine is idle.
    from lakebox.quality import results

    latest = results.latest(demo_lakehouse)
    quarantined = {
        ref.name: demo_lakehouse.query(f"SELECT count(*) FROM {ref.identifier}")[0][0].as_py()
        for ref in demo_lakehouse.catalog.metadata_locations()
        if ref.zone == "quarantine"
    }
    runs = demo_lakehouse.query("SELECT count(DISTINCT run_id) AS n FROM ops.check_results")
    batches = len(demo_lakehouse.manifest.entries())
    pipeline_runs = demo_lakehouse.query("SELECT run_id FROM ops.runs ORDER BY started_at DESC")

    page.goto(base_url + "/")
    failing = [r for r in latest if r.status in ("fail", "error")]
    warned = sorted((r.table, r.check) for r in latest if r.status == "warn")
    if not failing:
        assert page.locator("#failing-checks .good-news").inner_text() == "No failing checks."
    shown = page.locator("#failing-checks table.checks tbody tr")
    pairs = sorted(
        (row.locator("td").nth(0).inner_text(), row.locator("td").nth(1).inner_text())
        for row in shown.all()
    )
    assert pairs == sorted(warned + [(r.table, r.check) for r in failing])
    assert warned, "the demo has warnings to show"

    total = page.locator("#quarantine .total").inner_text()
    assert int(total.replace(",", "")) == sum(quarantined.values()) > 0
    materials = page.locator('#quarantine tr[data-source="materials"] td.num').inner_text()
    assert int(materials) == quarantined["materials"]

    assert "ops.check_results" in page.locator("#runs .note").inner_text()
    assert page.locator("#check-runs tbody tr").count() == min(10, runs["n"][0].as_py())
    assert page.locator("#batches tbody tr").count() == min(10, batches)
    shown_runs = page.locator("#pipeline-runs tbody tr code").all_inner_texts()
    assert shown_runs == pipeline_runs.column(0).to_pylist()[:10] and shown_runs

    page.locator('#quarantine tr[data-source="materials"] a').click()
    page.wait_for_url("**/catalog/formatted/materials#quarantine")
    assert page.locator("#quarantine .total").inner_text() == str(quarantined["materials"])
