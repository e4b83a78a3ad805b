"""Hot equals cold: `lakebox stream replay NAME` recomputes the window tables from
formatted.<stream>, and they equal the live ones, on a stream whose events came late, were
refused, were written in several ways (time offsets, naive times, whole numbers with a
decimal point), through a worker killed inside a flush and restarted."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import lakebox
from lakebox.stream.status import read_status
from tests.stream.checks import assert_landed_once, assert_windows
from tests.stream.crasher import POINTS
from tests.stream.projects import (
    NAME,
    Event,
    lines,
    log_events,
    readings,
    rows_of,
    run_worker,
    same_rows,
    stream_config,
    write_project,
)
from tests.stream.reference import expected
from tests.stream.test_kill import crash, lakebox_cli

WINDOWS = ("m1", "h2", "visit")


def written_otherwise(events: list[Event]) -> list[Event]:
    """Return `events` with some good ones written in other, equivalent ways."""
    changed = []
    for index, event in enumerate(events):
        if not event.good:
            changed.append(event)
            continue
        data = json.loads(event.line)
        moment = datetime.fromisoformat(data["ts"])
        if index % 5 == 0:
            data["ts"] = moment.replace(tzinfo=None).isoformat(sep=" ")  # naive: UTC
        elif index % 7 == 0:
            data["ts"] = moment.astimezone(timezone(timedelta(hours=2))).isoformat()
        if index % 11 == 0:
            data["co2"] = float(data["co2"])
        changed.append(Event(json.dumps(data).encode(), True))
    return changed


def windows_of(project: Path) -> dict[str, list[dict]]:
    with lakebox.open(project) as lh:
        return {window: rows_of(lh, f"exploitation.{NAME}_{window}") for window in WINDOWS}


def test_replayed_window_tables_equal_the_live_ones(tmp_path):
    events = written_otherwise(readings(count=420, seed=17))
    wanted = expected(events, stream_config(), NAME)
    assert wanted.late and wanted.refused
    project = write_project(tmp_path / "project")
    with lakebox.open(project) as lh:
        log_events(lh, events[:250])
    assert "before-checkpoint" in POINTS
    crash(project, "before-checkpoint", per_flush=70)
    with lakebox.open(project) as lh:
        log_events(lh, events[250:])
        run_worker(lh)  # the restart
        assert_landed_once(lh, lines(events))
        assert_windows(lh, wanted)
    live = windows_of(project)

    replayed = lakebox_cli(project, "stream", "replay", NAME, "--json")
    assert replayed.returncode == 0, replayed.stderr[-3000:]
    report = json.loads(replayed.stdout)
    assert report["events"] == wanted.accepted and report["late"] == wanted.late
    assert report["rows"] == {window: len(live[window]) for window in WINDOWS}
    cold = windows_of(project)
    for window in WINDOWS:
        same_rows(cold[window], live[window], ("device_id", "window_start"))


def test_a_worker_goes_on_from_a_replay(tmp_path):
    events = readings(count=300, seed=23)
    project = write_project(tmp_path / "project")
    with lakebox.open(project) as lh:
        log_events(lh, events[:180])
        run_worker(lh)
    replayed = lakebox_cli(project, "stream", "replay", NAME)
    assert replayed.returncode == 0, replayed.stderr[-3000:]
    with lakebox.open(project) as lh:
        log_events(lh, events[180:])
        run_worker(lh)
        assert_landed_once(lh, lines(events))
        assert_windows(lh, expected(events, stream_config(), NAME))
        status = read_status(lh, NAME)
        wanted = expected(events, stream_config(), NAME)
        assert (status.events_in, status.refused, status.late) == (
            len(events),
            wanted.refused,
            wanted.late,
        )


def test_a_reading_sent_twice_counts_twice_live_and_replayed(tmp_path):
    events = readings(count=120, seed=29, bad_every=0)
    twice = events[:60] + events[50:60] + events[60:]  # a device re-sends ten readings
    project = write_project(tmp_path / "project")
    with lakebox.open(project) as lh:
        log_events(lh, twice)
        run_worker(lh)
        assert_windows(lh, expected(twice, stream_config(), NAME))
    live = windows_of(project)
    replayed = lakebox_cli(project, "stream", "replay", NAME)
    assert replayed.returncode == 0, replayed.stderr[-3000:]
    cold = windows_of(project)
    for window in WINDOWS:
        same_rows(cold[window], live[window], ("device_id", "window_start"))
