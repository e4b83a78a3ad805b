"""A small real lakehouse of store visits with a dashboard over it, for the dashboard tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import lakebox
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.runner import run
from tests.conftest import write_file

HOSTILE = "'; DROP TABLE x; --"
VISITS = f"""store,day,hour,visitors
BCN,2025-06-02,9,10
BCN,2025-06-02,10,20
BCN,2025-06-03,9,5
BCN,2025-06-07,12,40
LYS,2025-06-02,9,7
LYS,2025-06-04,15,3
"{HOSTILE}",2025-06-02,9,1
"""
HOURLY = "SELECT store, day, hour, isodow(day) AS weekday, visitors FROM formatted.visits"
DAILY = (
    "SELECT store, day, isodow(day) AS weekday, sum(visitors)::BIGINT AS visitors "
    "FROM exploitation.visits_hourly GROUP BY store, day"
)
FILTERS_WHERE = """WHERE store = $store AND list_contains($weekday, weekday)
        AND day BETWEEN $days_from AND $days_to AND {{ grain.hours }}"""
DASHBOARD = f"""title: Visits
description: Visitors per store.
filters:
  store:
    kind: select
    default: BCN
    options_sql: SELECT DISTINCT store FROM exploitation.visits_hourly ORDER BY store
  weekday:
    kind: multiselect
    options:
      - {{value: 1, label: Mon}}
      - {{value: 2, label: Tue}}
      - {{value: 3, label: Wed}}
      - {{value: 4, label: Thu}}
      - {{value: 5, label: Fri}}
      - {{value: 6, label: Sat}}
      - {{value: 7, label: Sun}}
  days:
    kind: date_range
    bounds_sql: SELECT min(day), max(day) FROM exploitation.visits_hourly WHERE store = $store
  hours:
    kind: hour_range
  grain:
    kind: resolution
    options:
      - value: hourly
        fragments:
          time: day + hour * INTERVAL 1 HOUR
          hours: hour BETWEEN $hours_from AND $hours_to
      - value: daily
        fragments: {{time: day, hours: "TRUE"}}
tabs:
  main: Main
  rows: Rows
charts:
  total:
    kind: kpi
    value: visitors
    sql: |
      SELECT sum(visitors) AS visitors FROM exploitation.visits_{{{{ grain }}}}
      {FILTERS_WHERE}
  over_time:
    kind: line
    x: time
    y: visitors
    series: store
    sql: |
      SELECT {{{{ grain.time }}}} AS time, store, sum(visitors) AS visitors
      FROM exploitation.visits_{{{{ grain }}}}
      {FILTERS_WHERE}
      GROUP BY ALL ORDER BY time
  rows:
    kind: table
    tab: rows
    sql: |
      SELECT * FROM exploitation.visits_{{{{ grain }}}}
      {FILTERS_WHERE}
      ORDER BY ALL
"""


@pytest.fixture(scope="package")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lakehouse]:
    """A lakehouse with formatted.visits and the models visits_hourly and visits_daily."""
    project = tmp_path_factory.mktemp("dashboards") / "shop"
    project.mkdir()
    columns = {"day": {"type": "DATE"}, "hour": {"type": "BIGINT"}, "visitors": {"type": "BIGINT"}}
    document = {
        "name": "shop",
        "engine": {"memory_limit": "1GB", "threads": 2},
        "sources": {"visits": {"path": "in/*.csv", "columns": columns}},
    }
    (project / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    write_file(project / "in", "visits.csv", VISITS)
    write_file(project / "models", "visits_hourly.sql", HOURLY)
    write_file(project / "models", "visits_daily.sql", DAILY)
    with lakebox.open(project) as lh:
        assert run(lh).ok
        yield lh


@pytest.fixture
def boards(shop: Lakehouse) -> Iterator[Path]:
    """The shop's dashboards folder holding visits.yaml; emptied after the test."""
    folder = shop.project_dir / "dashboards"
    folder.mkdir(exist_ok=True)
    (folder / "visits.yaml").write_text(DASHBOARD, encoding="utf-8")
    yield folder
    shutil.rmtree(folder)
