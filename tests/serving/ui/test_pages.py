"""The catalog, table pages and SQL console in headless Chromium, over the served demo project.

Each test reads what it expects from the lakehouse before it opens a page: the server's thread
is idle then, so the two never use the engine at once."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lakebox.catalog import BATCH_PROPERTY, TableRef
from lakebox.catalog.iceberg import snapshot_properties

pytestmark = pytest.mark.slow

DAILY = "exploitation.traffic_store_daily"


def count(lh, sql: str, as_of: str | None = None) -> int:
    return lh.query(f"SELECT count(*) AS n FROM ({sql})", as_of=as_of)["n"][0].as_py()


def column_texts(page, grid: str, name: str) -> list[str]:
    """Return the texts of column `name` in the table.grid inside `grid`."""
    return page.locator(grid).evaluate(
        """(element, name) => {
            const names = [...element.querySelectorAll("thead th")].map((th) => th.textContent);
            const index = names.indexOf(name);
            const rows = [...element.querySelectorAll("tbody tr")];
            return rows.map((tr) => tr.cells[index].textContent);
        }""",
        name,
    )


def number(text: str) -> int:
    return int(text.replace(",", ""))


def test_the_catalog_lists_every_table_with_its_rows_and_filters(
    page, base_url, demo_lakehouse, screenshots
):
    refs = sorted(demo_lakehouse.catalog.metadata_locations(), key=lambda ref: ref.identifier)
    rows = {ref.identifier: count(demo_lakehouse, f"FROM {ref.identifier}") for ref in refs}

    page.goto(base_url + "/catalog")
    listed = page.locator("tr.table-row")
    assert sorted(listed.evaluate_all("rows => rows.map((r) => r.dataset.table)")) == sorted(rows)
    for table, expected in rows.items():
        shown = page.locator(f'tr.table-row[data-table="{table}"] td.rows').inner_text()
        assert number(shown) == expected, table
    door_counts = page.locator('tr.table-row[data-table="formatted.door_counts"]')
    snapshots = len(demo_lakehouse.catalog.load(TableRef("formatted", "door_counts")).snapshots())
    assert number(door_counts.locator("td").nth(3).inner_text()) == snapshots > 1
    page.screenshot(path=screenshots / "catalog.png", full_page=True)

    page.fill("#filter", "traffic_store")
    visible = page.locator("tr.table-row:visible")
    assert sorted(visible.evaluate_all("rows => rows.map((r) => r.dataset.table)")) == sorted(
        table for table in rows if "traffic_store" in table
    )
    assert page.locator("section#formatted").is_hidden()
    assert page.locator("#shown").inner_text() == f"{visible.count()} of {len(rows)} tables"
    page.screenshot(path=screenshots / "catalog-filtered.png", full_page=True)


def test_a_formatted_table_shows_descriptions_quarantine_and_checks(
    page, base_url, demo_lakehouse, screenshots
):
    from lakebox.quality import results

    total = count(demo_lakehouse, "FROM formatted.materials")
    quarantined = demo_lakehouse.query(
        "SELECT _reason AS reason, count(*) AS n FROM quarantine.materials GROUP BY ALL"
    ).to_pylist()
    checks = results.latest(demo_lakehouse, "formatted.materials")
    description = demo_lakehouse.config.sources["materials"].columns["quantity"].description

    page.goto(base_url + "/catalog/formatted/materials")
    assert page.locator("h1").inner_text() == "formatted.materials"
    assert number(page.locator("#row-count .value").inner_text()) == total
    quantity = page.locator('tr[data-column="quantity"]')
    assert quantity.locator("td").nth(1).inner_text() == "DOUBLE"
    assert quantity.locator("td.description").inner_text() == description
    page.locator("#rows-state .count").wait_for()
    assert number(page.locator("#rows-state .count").inner_text()) == total
    assert page.locator("#rows-grid tbody tr").count() == min(100, total)

    section = page.locator("section#quarantine")
    assert number(section.locator(".total").inner_text()) == sum(r["n"] for r in quarantined)
    reasons = {
        row.locator("td.reason").inner_text(): number(row.locator("td.num").inner_text())
        for row in section.locator("table.reasons tbody tr").all()
    }
    assert reasons == {r["reason"]: r["n"] for r in quarantined}
    shown_reasons = column_texts(page, "section#quarantine table.quarantined", "_reason")
    expected = [r["reason"] for r in quarantined for _ in range(r["n"])]
    assert sorted(shown_reasons) == sorted(expected)[:50] and shown_reasons
    section.screenshot(path=screenshots / "quarantine.png")

    statuses = page.locator("section#checks table.checks tbody tr")
    assert statuses.count() == len(checks) > 0
    assert {row.locator("td").first.inner_text() for row in statuses.all()} == {
        result.check for result in checks
    }
    page.screenshot(path=screenshots / "table-formatted-materials.png", full_page=True)


def test_an_exploitation_table_links_to_the_sql_console(
    page, base_url, demo_lakehouse, screenshots
):
    name = DAILY.split(".")[1]
    total = count(demo_lakehouse, f"FROM {DAILY}")
    described = demo_lakehouse.query(f"DESCRIBE {DAILY}").to_pylist()

    page.goto(f"{base_url}/catalog/exploitation/{name}")
    columns = page.locator("table.profile tbody tr").evaluate_all(
        "rows => rows.map((r) => [r.dataset.column, r.cells[1].textContent])"
    )
    assert columns == [[c["column_name"], c["column_type"]] for c in described]
    assert page.locator("section#quarantine").count() == 0
    page.locator("#rows-grid tbody tr").first.wait_for()
    assert page.locator("#rows-grid tbody tr").count() == min(100, total)
    page.screenshot(path=screenshots / f"table-exploitation-{name}.png", full_page=True)

    page.locator("#query-in-console").click()
    page.wait_for_url("**/sql?q=*")
    assert page.locator("#sql").input_value() == f"SELECT * FROM {DAILY} LIMIT 100"
    page.wait_for_load_state("networkidle")
    assert page.locator("#result").is_hidden()  # a link fills the editor, Run runs it
    page.click("#run")
    page.locator("#row-count").wait_for()
    assert number(page.locator("#row-count").inner_text()) == min(100, total)


def test_profile_now_stores_and_shows_a_profile(page, base_url, demo_lakehouse, screenshots):
    stores = demo_lakehouse.query(
        "SELECT count(DISTINCT store_id) AS stores, count(DISTINCT city) AS cities "
        "FROM exploitation.stores"
    ).to_pylist()[0]

    page.goto(base_url + "/catalog/exploitation/stores")
    page.locator("#profile-now").click()
    distinct = page.locator('tr[data-column="store_id"] td.distinct')
    distinct.wait_for()
    assert number(distinct.inner_text()) == stores["stores"]
    city = page.locator('tr[data-column="city"] td.distinct').inner_text()
    assert number(city) == stores["cities"]
    assert "Profiled" in page.locator("#profile-state").inner_text()
    assert page.locator('tr[data-column="store_id"] .bars span').count() >= 1
    page.screenshot(path=screenshots / "table-exploitation-stores-profiled.png", full_page=True)


def test_time_travel_shows_an_older_snapshot_of_a_table(
    page, base_url, demo_lakehouse, screenshots
):
    table = demo_lakehouse.catalog.load(TableRef("formatted", "door_counts"))
    oldest = table.snapshots()[0]
    then = count(demo_lakehouse, "FROM formatted.door_counts", as_of=str(oldest.snapshot_id))
    now = count(demo_lakehouse, "FROM formatted.door_counts")
    first_batch = demo_lakehouse.query(
        "SELECT DISTINCT _batch_id FROM formatted.door_counts", as_of=str(oldest.snapshot_id)
    )["_batch_id"].to_pylist()
    # the first commit holds the batches it lists (files formatted together share one)
    tagged = json.loads(snapshot_properties(oldest)[BATCH_PROPERTY])
    assert then < now and first_batch and set(first_batch) <= set(tagged)

    page.goto(base_url + "/catalog/formatted/door_counts")
    state = page.locator("#rows-state")
    state.locator(".count").wait_for()
    assert number(state.locator(".count").inner_text()) == now
    page.select_option("#as-of", str(oldest.snapshot_id))
    page.locator("#rows-state .snapshot").wait_for()
    assert state.locator(".snapshot").inner_text() == str(oldest.snapshot_id)
    assert number(state.locator(".count").inner_text()) == then
    shown = set(column_texts(page, "#rows-grid", "_batch_id"))  # the grid's first page
    assert shown and shown <= set(first_batch)
    assert f"as_of={oldest.snapshot_id}" in page.url
    page.screenshot(path=screenshots / "table-formatted-door_counts.png", full_page=True)

    page.goto(f"{base_url}/catalog/formatted/door_counts?as_of={oldest.snapshot_id}")
    page.locator("#rows-state .snapshot").wait_for()
    assert number(state.locator(".count").inner_text()) == then
    page.fill("#as-of-time", "2001-01-01T00:00:00")
    page.click("#travel")
    assert "had no snapshot yet" in page.locator("#rows-error .error").inner_text()


def test_the_sql_console_runs_pages_charts_and_downloads(
    page, base_url, demo_lakehouse, screenshots
):
    sql = f"SELECT store_id, local_date, visitors FROM {DAILY} ORDER BY store_id, local_date"
    expected = demo_lakehouse.query(sql).to_pylist()
    assert len(expected) > 100

    page.goto(base_url + "/sql")
    page.fill("#sql", sql)
    page.press("#sql", "Control+Enter")
    page.locator("#row-count").wait_for()
    assert number(page.locator("#row-count").inner_text()) == len(expected)
    assert page.locator("#status .truncated").count() == 0
    assert page.locator("#grid tbody tr").count() == 50
    assert "q=SELECT" in page.url

    page.click("#next")
    assert page.locator("#page-state").inner_text() == f"page 2 of {-(-len(expected) // 50)}"
    first = page.locator("#grid tbody tr").first.locator("td").all_inner_texts()
    row = expected[50]
    assert first == [row["store_id"], row["local_date"].isoformat(), str(row["visitors"])]

    page.select_option("#chart-x", "local_date")
    page.select_option("#chart-y", "visitors")
    page.select_option("#chart-type", "bar")
    page.click("#draw")
    page.locator("#chart .main-svg").first.wait_for()
    trace = page.evaluate("() => document.getElementById('chart').data[0]")
    assert trace["type"] == "bar" and len(trace["y"]) == len(expected)
    assert sum(trace["y"]) == sum(r["visitors"] for r in expected)
    page.screenshot(path=screenshots / "sql-console.png", full_page=True)

    with page.expect_download() as download:
        page.click("#download-csv")
    lines = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert lines[0] == ["store_id", "local_date", "visitors"]
    assert lines[1:] == [
        [r["store_id"], r["local_date"].isoformat(), str(r["visitors"])] for r in expected
    ]

    with page.expect_download() as download:
        page.click("#download-parquet")
    assert pq.read_table(download.value.path()).to_pylist() == expected


def test_the_sql_console_truncates_at_the_row_limit(page, base_url):
    page.goto(base_url + "/sql?q=" + "SELECT%20*%20FROM%20range(20000)")
    page.click("#run")
    page.locator("#row-count").wait_for()
    assert number(page.locator("#row-count").inner_text()) == 5_000  # the fixture's row_limit
    assert "truncated" in page.locator("#status .truncated").inner_text()
    assert page.locator("#page-state").inner_text() == "page 1 of 100"


def test_a_link_to_the_console_fills_it_and_runs_nothing(page, base_url):
    posted: list[str] = []
    page.on(
        "request", lambda request: posted.append(request.url) if request.method == "POST" else None
    )
    page.goto(base_url + "/sql?q=" + "SELECT%2042%20AS%20answer")
    page.wait_for_load_state("networkidle")
    assert page.locator("#sql").input_value() == "SELECT 42 AS answer"
    assert posted == [] and page.locator("#result").is_hidden()
    answer = page.request.get(base_url + "/api/sql?q=SELECT%2042")
    assert answer.status == 405  # nor does a GET of the API

    page.click("#run")
    page.locator("#row-count").wait_for()
    assert page.locator("#grid td").inner_text() == "42"
    assert posted == [base_url + "/api/sql"]


def test_the_sql_console_shows_errors_and_refuses_writes(
    page, base_url, demo_lakehouse, screenshots
):
    stores = count(demo_lakehouse, "FROM exploitation.stores")

    page.goto(base_url + "/sql")
    page.fill("#sql", "SELECT no_such_column FROM exploitation.stores")
    page.click("#run")
    error = page.locator("#error .error")
    error.wait_for()
    assert "no_such_column" in error.locator(".message").inner_text()
    assert page.locator("#result").is_hidden()
    page.screenshot(path=screenshots / "sql-error.png", full_page=True)

    page.fill("#sql", "DELETE FROM exploitation.stores")
    page.press("#sql", "Control+Enter")
    page.locator("#error .error .message").filter(has_text="DELETE").wait_for()
    page.screenshot(path=screenshots / "sql-write-refused.png", full_page=True)
    assert count(demo_lakehouse, "FROM exploitation.stores") == stores


def test_values_and_names_from_users_are_escaped(page, base_url):
    sql = 'SELECT \'<img src=x onerror="window.pwned = 1">\' AS "<i>name</i>"'
    page.goto(base_url + "/sql")
    page.fill("#sql", sql)
    page.click("#run")
    page.locator("#row-count").wait_for()
    assert page.locator("#grid img, #grid i").count() == 0
    assert page.locator("#grid th").inner_text() == "<i>name</i>"
    assert page.locator("#grid td").inner_text().startswith("<img")
    assert page.evaluate("() => window.pwned") is None


def test_an_unknown_table_page_says_so(page, base_url):
    answer = page.goto(base_url + "/catalog/formatted/no_such_table")
    assert answer is not None and answer.status == 404
    assert "no table 'formatted.no_such_table'" in page.locator(".error").inner_text()
