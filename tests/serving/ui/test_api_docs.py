"""/docs (Swagger UI) and /redoc (ReDoc) in Chromium with every other host cut off: their
scripts come from the server itself, so they render the API offline."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest


@pytest.fixture
def offline(page, base_url):
    """The page, with every request to another host than the server's aborted."""
    here = urlsplit(base_url).netloc
    blocked: list[str] = []

    def route(route):
        if urlsplit(route.request.url).netloc == here:
            route.continue_()
        else:
            blocked.append((route.request.resource_type, route.request.url))
            route.abort()

    page.route("**/*", route)
    yield page
    # nothing the pages need tried to reach the internet (ReDoc's own footer logo does)
    assert [url for kind, url in blocked if kind != "image"] == []


def test_swagger_ui_lists_the_operations_offline(offline, base_url, screenshots):
    offline.goto(base_url + "/docs")
    offline.locator(".opblock-summary-path").first.wait_for()
    paths = offline.locator(".opblock-summary-path").all_inner_texts()
    assert {"/api/zones", "/api/sql", "/api/tables/{zone}/{name}"} <= {p.strip() for p in paths}
    offline.screenshot(path=screenshots / "api-docs.png")


def test_redoc_lists_the_operations_offline(offline, base_url):
    offline.goto(base_url + "/redoc")
    offline.get_by_text("Run one read-only SQL statement").first.wait_for()
    assert offline.locator("[data-section-id^='operation/']").count() >= 7
