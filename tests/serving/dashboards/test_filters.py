"""Filter values from a request: checked against each filter, typed, defaulted."""

from __future__ import annotations

from datetime import date

import pytest

from lakebox.errors import DashboardError
from lakebox.serving.dashboards import parse, resolve
from lakebox.serving.dashboards.queries import BoundQuery
from tests.serving.dashboards.conftest import DASHBOARD

STORES = [("BCN",), ("LYS",)]
BOUNDS = {
    "BCN": [(date(2025, 6, 2), date(2025, 6, 7))],
    "LYS": [(date(2025, 6, 2), date(2025, 6, 4))],
}


class FakeEngine:
    """Answers the dashboard's own SQL (store options, date bounds) and records what ran."""

    def __init__(self) -> None:
        self.ran: list[BoundQuery] = []

    def __call__(self, bound: BoundQuery) -> list[tuple[object, ...]]:
        self.ran.append(bound)
        if "DISTINCT store" in bound.sql:
            return STORES
        return BOUNDS.get(str(bound.parameters["store"]), [(None, None)])


FILTERS = parse(DASHBOARD).filters


def resolved(raw: dict[str, list[str]], strict: bool = False, engine: FakeEngine | None = None):
    return resolve(FILTERS, raw, engine or FakeEngine(), strict)


def test_defaults():
    result = resolved({})
    assert result.parameters == {
        "store": "BCN",
        "weekday": [1, 2, 3, 4, 5, 6, 7],
        "days_from": date(2025, 6, 2),
        "days_to": date(2025, 6, 7),
        "hours_from": 0,
        "hours_to": 23,
    }
    assert result.choices["grain"].value == "hourly"
    states = {state.name: state for state in result.states}
    assert states["weekday"].value == ["1", "2", "3", "4", "5", "6", "7"]
    assert [option.label for option in states["weekday"].options][:2] == ["Mon", "Tue"]
    assert states["days"].bounds == ["2025-06-02", "2025-06-07"]
    assert states["hours"].parameters == ["hours_from", "hours_to"]


def test_given_values_are_typed_and_options_may_depend_on_earlier_filters():
    engine = FakeEngine()
    raw = {
        "store": ["LYS"],
        "weekday": ["1", "3"],
        "days_from": ["2025-06-03"],
        "days_to": ["2025-06-30"],
        "hours_from": ["8"],
        "hours_to": ["9"],
        "grain": ["daily"],
    }
    result = resolved(raw, strict=True, engine=engine)
    assert result.parameters == {
        "store": "LYS",
        "weekday": [1, 3],
        "days_from": date(2025, 6, 3),
        "days_to": date(2025, 6, 4),  # moved inside the bounds
        "hours_from": 8,
        "hours_to": 9,
    }
    assert result.choices["grain"].fragments["time"] == "day"
    assert engine.ran[1].parameters == {"store": "LYS"}  # the bounds of the chosen store


def test_an_empty_multiselect_is_empty_not_the_default():
    assert resolved({"weekday": [""]}).parameters["weekday"] == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"store": ["'; DROP TABLE x; --"]},
            "filter 'store': \"'; DROP TABLE x; --\" is not one of its options",
        ),
        ({"weekday": ["1", "8"]}, "filter 'weekday': '8' is not one of its options"),
        (
            {"grain": ["exploitation.visits_hourly; --"]},
            "filter 'grain': 'exploitation.visits_hourly; --' is not one",
        ),
        ({"days_from": ["yesterday"], "days_to": ["2025-06-03"]}, "'yesterday' is not a date"),
        (
            {"days_from": ["2025-06-05"], "days_to": ["2025-06-03"]},
            "days_from 2025-06-05 comes after",
        ),
        ({"days_from": ["2025-06-05"]}, "give both days_from and days_to"),
        ({"hours_from": ["-1"], "hours_to": ["3"]}, "'-1' is not an hour from 0 to 23"),
        ({"hours_from": ["3"], "hours_to": ["24"]}, "'24' is not an hour"),
    ],
)
def test_strictly_a_value_the_filter_does_not_allow_is_an_error(raw, message):
    with pytest.raises(DashboardError) as caught:
        resolved(raw, strict=True)
    assert message in caught.value.message


def test_leniently_a_bad_value_falls_back_to_the_default():
    raw = {
        "store": ["gone"],
        "weekday": ["1", "8"],
        "grain": ["weekly"],
        "hours_from": ["9"],
        "hours_to": ["7"],
    }
    result = resolved(raw)
    assert result.parameters["store"] == "BCN"
    assert result.parameters["weekday"] == [1]
    assert result.choices["grain"].value == "hourly"
    assert (result.parameters["hours_from"], result.parameters["hours_to"]) == (0, 23)


def test_a_select_with_all_binds_null():
    text = DASHBOARD.replace("    default: BCN\n", "    all: Every store\n")
    filters = parse(text).filters
    everything = resolve(filters, {}, FakeEngine())
    assert everything.parameters["store"] is None
    assert everything.states[0].value is None and everything.states[0].all == "Every store"
    assert resolve(filters, {"store": [""]}, FakeEngine(), True).parameters["store"] is None
    assert resolve(filters, {"store": ["LYS"]}, FakeEngine(), True).parameters["store"] == "LYS"


def test_no_data_gives_null_dates():
    empty = FakeEngine()
    result = resolve(
        FILTERS, {"store": ["LYS"]}, lambda bound: [] if "min(day)" in bound.sql else empty(bound)
    )
    assert (result.parameters["days_from"], result.parameters["days_to"]) == (None, None)
    assert result.states[2].value is None and result.states[2].bounds is None
