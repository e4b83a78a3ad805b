"""`lakebox backfill`, run as a user would in a subprocess, on an incremental SQLite source."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

import lakebox
from lakebox.orchestration.lock import PipelineLock
from tests.cli.conftest import lakebox as run_lakebox


def _insert(project: Path, numbers: range) -> None:
    with sqlite3.connect(project / "app.db") as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, name TEXT)")
        connection.executemany("INSERT INTO events VALUES (?, ?)", [(n, f"e{n}") for n in numbers])


@pytest.fixture
def events(project: Path) -> Path:
    """The CLI test project with an incremental SQLite source `events` that started at id 5."""
    _insert(project, range(1, 9))
    added = run_lakebox(
        "source", "add", "events", "--kind", "sqlite", "--url", "sqlite:///app.db",
        "--table", "events", "--cursor", "id", "--key", "id", cwd=project,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    text = (project / "lakebox.yaml").read_text()
    (project / "lakebox.yaml").write_text(
        text.replace("cursor: id", "cursor: id\n      initial: '4'")
    )
    assert run_lakebox("ingest", "-q", "--source", "events", cwd=project).returncode == 0
    return project


def _ids(project: Path) -> list[int]:
    with lakebox.open(project) as lh:
        return lh.query("SELECT id FROM formatted.events ORDER BY id").column(0).to_pylist()


def test_backfill_lands_and_formats_the_window_and_keeps_the_state(events: Path):
    assert _ids(events) == [5, 6, 7, 8]

    result = run_lakebox("backfill", "events", "--from", "2", "--to", "4", "--json", cwd=events)

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["ok"], document["rows_formatted"]) == (True, 2)
    [landed] = document["landed"]
    assert json.loads(landed["backfill"]) == {
        "field": "id",
        "from": "2",
        "to": "4",
        "type": "integer",
    }
    assert _ids(events) == [2, 3, 5, 6, 7, 8]
    runs = json.loads(run_lakebox("runs", "--json", cwd=events).stdout)
    latest = runs[0]
    assert (latest["pipeline"], latest["command"], latest["status"]) == (
        "backfill:events",
        "backfill",
        "ok",
    )
    assert latest["rows_in"] == 2
    _insert(events, range(9, 10))
    assert run_lakebox("ingest", "-q", "--source", "events", cwd=events).returncode == 0
    history = json.loads(run_lakebox("history", "formatted.events", "--json", cwd=events).stdout)
    assert [row["cursor"] for row in history] == ["id = 8", "", "id = 9"]
    assert _ids(events) == [2, 3, 5, 6, 7, 8, 9]


def test_backfill_prints_what_it_did(events: Path):
    result = run_lakebox("backfill", "events", "--from", "1", "--to", "3", cwd=events)

    assert result.returncode == 0, result.stderr
    assert "backfill of events from 1 to 3 (excluded): landed 1 object(s)" in result.stdout
    assert "2 row(s) formatted" in result.stdout
    quiet = run_lakebox("backfill", "events", "--from", "1", "--to", "3", "-q", cwd=events)
    assert (quiet.returncode, quiet.stdout) == (0, "")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["sales", "--from", "1", "--to", "2"], "source 'sales' is a files source"),
        (["events", "--from", "3", "--to", "3"], "start 3 is not before its end 3"),
        (["events", "--from", "x", "--to", "3"], "'x' is text, but the cursor 'id' holds an"),
    ],
)
def test_backfill_errors_are_clear(events: Path, arguments: list[str], message: str):
    result = run_lakebox("backfill", *arguments, cwd=events)
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_backfill_waits_for_the_pipeline_lock(events: Path):
    with lakebox.open(events) as lh, PipelineLock(lh, "default"):
        result = run_lakebox("backfill", "events", "--from", "1", "--to", "3", cwd=events)
    assert result.returncode == 1
    assert "pipeline 'default' is already running" in result.stderr
    assert "--wait" in result.stderr and "Traceback" not in result.stderr
