"""The dictionary in the web UI, in headless Chromium on a real server: the demo's glossary, a
term's columns with their lineage, the header's search box, a table page's dictionary section;
an engineer's edit through the page's form (PUT with the CSRF token) kept in the history, no
form for an analyst, and a hostile description shown as text on every page that shows it."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
import yaml

import lakebox
from lakebox.access.control import access_control
from lakebox.orchestration.runner import run
from lakebox.serving.app import create_app
from tests.conftest import write_file
from tests.serving.ui.conftest import served

HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
PASSWORD = "dictionary-password"


def test_the_glossary_lists_the_demos_terms_and_a_term_traces_its_columns(page, base_url):
    page.goto(f"{base_url}/glossary")
    assert page.locator("header nav a.active").inner_text() == "Glossary"
    terms = page.locator("tr.term-row").evaluate_all("rows => rows.map(r => r.dataset.term)")
    assert {"footfall", "visitor", "store-day", "material consumption"} <= set(terms)
    page.click("tr[data-term='footfall'] a")
    page.wait_for_url("**/glossary/footfall")
    row = page.locator("tr.carrier[data-column='exploitation.traffic_store_daily.visitors']")
    assert row.locator("td.description").inner_text().startswith("The store's footfall")
    chain = row.locator("ol.upstream li").all_inner_texts()
    assert chain[0].startswith("exploitation.traffic_sensor_daily.visitors")
    assert any(step.startswith("landing.door_counts_live.count") for step in chain)
    row.locator("td a").first.click()
    page.wait_for_url("**/catalog/exploitation/traffic_store_daily#dictionary-visitors")
    assert page.locator("#dictionary-visitors").is_visible()


def test_the_header_search_box_finds_a_term_first(page, base_url):
    page.goto(f"{base_url}/catalog")
    page.fill("#search input[name=q]", "footfall")
    page.press("#search input[name=q]", "Enter")
    page.wait_for_url("**/search?q=footfall")
    first = page.locator("tr.hit").first
    assert (first.get_attribute("data-kind"), first.get_attribute("data-name")) == (
        "term",
        "footfall",
    )
    assert page.locator("#search input[name=q]").input_value() == "footfall"


def test_a_table_page_shows_where_each_description_comes_from(page, base_url):
    page.goto(f"{base_url}/catalog/exploitation/traffic_store_daily")
    section = page.locator("#dictionary")
    assert section.locator("dd.owner").inner_text() == "Retail analytics"
    assert "store-day" in section.locator("dd.terms").inner_text()
    store = section.locator("#dictionary-store_id")
    assert "inherited from formatted.door_counts.store_id" in store.inner_text()
    assert "models/traffic_store_daily.yaml" in section.locator("#dictionary-weekday").inner_text()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small project under access control (an engineer and an analyst), served."""
    folder = tmp_path_factory.mktemp("ui-dictionary")
    document = {
        "name": "docs",
        "engine": {"memory_limit": "1GB", "threads": 2},
        "glossary": {"terms": {"customer": {"definition": "Someone who bought."}}},
        "sources": {"customers": {"path": "in/*.csv"}},
        "access": {},
    }
    (folder / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    write_file(folder / "in", "a.csv", "id,name\n1,Ann\n")
    write_file(folder / "models", "people.sql", "SELECT id, name FROM formatted.customers\n")
    with lakebox.open(folder) as lh:
        assert run(lh).ok
        users = access_control(lh).users
        users.add("erin", ["engineer"], PASSWORD)
        users.add("alice", ["analyst"], PASSWORD)
        with served(create_app(lh), probe="/login") as url:
            yield url


def _log_in(browser, url: str, user: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(str(error)))
    opened.goto(f"{url}/login")
    opened.fill("input[name=user]", user)
    opened.fill("input[name=password]", PASSWORD)
    opened.click("button[type=submit]")
    opened.wait_for_url(f"{url}/")
    return context, opened, problems


def test_an_engineer_edits_through_the_form_and_a_hostile_description_stays_text(browser, guarded):
    context, page, problems = _log_in(browser, guarded, "erin")
    page.goto(f"{guarded}/catalog/formatted/customers")
    page.select_option("#dictionary-target", "name")
    assert page.locator(".owner-field").is_hidden()  # a column has no owner
    page.fill("#dictionary-edit textarea[name=description]", HOSTILE)
    page.fill("#dictionary-edit input[name=terms]", "Customer")
    with page.expect_response(lambda r: r.request.method == "PUT") as answered:
        page.click("#dictionary-save")
    assert answered.value.status == 200
    assert answered.value.request.headers.get("x-csrf-token")
    page.wait_for_selector("#dictionary-history")
    name = page.locator("#dictionary-name")
    assert name.locator(".description").inner_text() == HOSTILE
    assert "edited by erin" in name.inner_text()
    assert page.locator("#dictionary-history tbody tr").count() == 2
    inherited = page.goto(f"{guarded}/catalog/exploitation/people")
    assert inherited is not None and inherited.ok
    assert page.locator("#dictionary-name .description").inner_text() == HOSTILE
    for path in ["/glossary/customer", f"/search?q={quote('name')}"]:
        page.goto(f"{guarded}{path}")
        assert page.get_by_text(HOSTILE).first.is_visible(), path
    assert page.evaluate("window.pwned") is None
    assert page.locator("img[src=x]").count() == 0
    assert problems == []
    context.close()


def test_an_analyst_sees_no_edit_form(browser, guarded):
    context, page, problems = _log_in(browser, guarded, "alice")
    page.goto(f"{guarded}/catalog/exploitation/people")
    assert page.locator("#dictionary").is_visible()
    assert page.locator("#dictionary-edit").count() == 0
    assert problems == []
    context.close()
