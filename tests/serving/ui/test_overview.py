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
