"""`analytics.anomalies`: a re-run replaces a rule's rows, never duplicates an incident."""

from __future__ import annotations

from datetime import datetime

import pytest

from lakebox.analysis.anomalies import detect, stored
from lakebox.errors import AnomalyError
from tests.analysis.anomalies.conftest import declare, store_days
from tests.analysis.conftest import write_table

PLANTED = {("S1", 50): 2.0, ("S2", 45): 0.6}


def rule(**parameters: object) -> dict[str, object]:
    return {
        "table": "exploitation.store_daily",
        "ids": ["store_id"],
        "time": "local_date",
        "value": "visitors",
        "weekday_deviation": parameters,
    }


@pytest.fixture
def stores(lh):
    write_table(lh, "exploitation.store_daily", store_days({"S1": 1000, "S2": 500}, 70, PLANTED))
    return lh


def incidents(lh) -> dict[tuple[str, str], dict]:
    return {(row["rule_name"], row["entity"]): row for row in stored(lh).to_pylist()}


def test_a_re_run_keeps_one_row_per_incident_and_its_first_detection(stores):
    declare(stores, days=rule(), ups=rule(direction="up"))
    first = detect(stores)
    before = incidents(stores)
    second = detect(stores)
    after = incidents(stores)
    assert stored(stores).num_rows == 3 == len(after)
    assert set(after) == {("days", "store_id=S1"), ("days", "store_id=S2"), ("ups", "store_id=S1")}
    for key, row in after.items():
        assert row["incident_id"] == before[key]["incident_id"]
        assert row["detected_at"] == before[key]["detected_at"]
        assert row["run_id"] == second.run_id != first.run_id
        assert row["last_seen_at"] > before[key]["last_seen_at"]


def test_a_re_run_of_one_rule_replaces_only_its_rows(stores):
    declare(stores, days=rule(), ups=rule(direction="up"))
    detect(stores)
    declare(
        stores, days=rule(warn_pct=45), ups=rule(direction="up", warn_pct=500, critical_pct=600)
    )
    detect(stores, ["days"])
    assert set(incidents(stores)) == {("days", "store_id=S1"), ("ups", "store_id=S1")}


def test_since_replaces_only_incidents_from_then_on(stores):
    declare(stores, days=rule())
    detect(stores)
    declare(stores, days=rule(warn_pct=500, critical_pct=600))
    report = detect(stores, since=datetime(2025, 2, 22))
    assert report.anomalies.num_rows == 0
    # S1's day (2025-02-25) is judged again and gone; S2's (2025-02-20) is before `since`
    assert set(incidents(stores)) == {("days", "store_id=S2")}


def test_a_table_not_built_yet_is_skipped_and_a_missing_column_fails(lh):
    declare(lh, days=rule())
    report = detect(lh)
    assert report.ok and report.outcomes[0].status == "skipped"
    assert stored(lh).num_rows == 0
    write_table(
        lh,
        "exploitation.store_daily",
        [{"store_id": "S1", "local_date": datetime(2025, 1, 6), "n": 1}],
    )
    report = detect(lh)
    assert not report.ok and report.outcomes[0].status == "failed"
    assert "exploitation.store_daily has no column 'visitors'" in report.outcomes[0].message


def test_an_unknown_rule_name_is_an_error(stores):
    declare(stores, days=rule())
    with pytest.raises(AnomalyError, match="no anomaly rule named 'weeks' \\(declared: days\\)"):
        detect(stores, ["weeks"])
