"""What a flush lands: an event's bytes that are not UTF-8 land as U+FFFD, as the worker read
them, so the format step keeps the same event (instead of its reader skipping the line)."""

from __future__ import annotations

from lakebox.orchestration.runner import run
from lakebox.stream.intakes import intake_for
from lakebox.stream.intakes.http import HttpIntake
from lakebox.stream.worker import Worker

STREAM = {
    "key": "device_id",
    "time": "ts",
    "fields": {"device_id": "VARCHAR", "ts": "TIMESTAMPTZ", "pm25": "DOUBLE"},
    "windows": {"1m": {"size": "1m", "aggregates": {"pm25": ["count"]}}},
}
BODY = (
    b'{"device_id": "caf\xe9", "ts": "2026-01-01T00:00:00Z", "pm25": 1}\n'  # Latin-1, not UTF-8
    b'{"device_id": "ok", "ts": "2026-01-01T00:00:01Z", "pm25": 2}\n'
    b'{"device_id": "ok", "ts": "2026-01-01T00:05:00Z", "pm25": 3}'
)


def test_bytes_that_are_not_utf8_are_read_alike_hot_and_cold(make_project):
    lh = make_project(streams={"aq": STREAM})
    intake = HttpIntake(lh, "aq")
    try:
        assert (intake.accept(BODY).accepted, intake.accept(BODY).refused) == (3, 0)
    finally:
        intake.close()
    worker = Worker(lh, "aq", intake_for(lh, "aq"))
    worker.run(until_idle=True)
    run(lh)
    cold = lh.engine.execute("SELECT device_id FROM formatted.aq ORDER BY ALL").fetchall()
    assert cold == [("caf\ufffd",), ("caf\ufffd",), ("ok",), ("ok",), ("ok",), ("ok",)]
    hot = lh.engine.execute("SELECT sum(events_count) FROM exploitation.aq_1m").fetchone()
    assert hot == (2,)  # the first minute, closed at 00:05; the second body's are late then
    assert lh.engine.execute("SELECT count(*) FROM quarantine.aq").fetchone() == (0,)
