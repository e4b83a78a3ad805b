"""`Schedule`: cron (five fields, or six with seconds), nicknames and intervals, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lakebox.config.schedule import Schedule

MOMENT = datetime(2026, 3, 1, 10, 15, 30, 500_000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "after", "before"),
    [
        ("0 * * * *", datetime(2026, 3, 1, 11, tzinfo=UTC), datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("@hourly", datetime(2026, 3, 1, 11, tzinfo=UTC), datetime(2026, 3, 1, 10, tzinfo=UTC)),
        (
            "* * * * * *",
            datetime(2026, 3, 1, 10, 15, 31, tzinfo=UTC),
            datetime(2026, 3, 1, 10, 15, 30, tzinfo=UTC),
        ),
        (
            "every 30s",
            datetime(2026, 3, 1, 10, 16, tzinfo=UTC),
            datetime(2026, 3, 1, 10, 15, 30, tzinfo=UTC),
        ),
        ("every 1h", datetime(2026, 3, 1, 11, tzinfo=UTC), datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ],
)
def test_next_and_previous_times(text, after, before):
    schedule = Schedule.parse(text)
    assert schedule.next_after(MOMENT) == after
    assert schedule.previous_before(MOMENT) == before


def test_a_time_on_the_schedule_is_its_own_previous_and_not_its_next():
    on_time = datetime(2026, 3, 1, 10, tzinfo=UTC)
    schedule = Schedule.parse("0 * * * *")
    assert schedule.previous_before(on_time) == on_time
    assert schedule.next_after(on_time) == datetime(2026, 3, 1, 11, tzinfo=UTC)


@pytest.mark.parametrize("text", ["hourly", "* * *", "every never", "every 0s"])
def test_a_bad_schedule_says_what_is_accepted(text):
    with pytest.raises(ValueError, match=r"cron|duration|longer than zero"):
        Schedule.parse(text)
