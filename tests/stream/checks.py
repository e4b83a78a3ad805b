"""What the end-to-end and kill tests check of a stream's project: every event landed exactly
once under deterministic batch ids, window tables with one row per key and window equal to
what they must hold, and each incident in the alert ledger (and told) once."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from lakebox.lakehouse import Lakehouse
from tests.stream.projects import NAME, landed_lines, rows_of, same_rows
from tests.stream.reference import Expected

_SPAN = re.compile(rf"^{NAME}-p(\d+)-(\d+)-(\d+)$")


def assert_landed_once(lh: Lakehouse, sent: list[bytes]) -> dict[str, list[bytes]]:
    """Assert the landed batches of partition 0 cover offsets 0 to len(sent)-1 once each,
    in order, and hold exactly the lines sent; return them."""
    landed = landed_lines(lh)
    spans = sorted(
        (int(m.group(2)), int(m.group(3)), batch)
        for batch in landed
        if (m := _SPAN.match(batch)) and m.group(1) == "0"
    )
    assert len(spans) == len(landed), sorted(landed)
    assert [first for first, _, _ in spans] == [0] + [last + 1 for _, last, _ in spans[:-1]]
    assert spans[-1][1] == len(sent) - 1, spans
    for first, last, batch in spans:
        assert len(landed[batch]) == last - first + 1, batch
    assert [line for _, _, batch in spans for line in landed[batch]] == sent
    assert sum(entry.rows_read or 0 for entry in lh.manifest.entries(NAME)) == len(sent)
    return landed


def assert_windows(lh: Lakehouse, wanted: Expected) -> None:
    """Assert each window table holds one row per key and window, as `wanted` says."""
    for window, rows in wanted.rows.items():
        stored = rows_of(lh, f"exploitation.{NAME}_{window}")
        keys = Counter((row["device_id"], row["window_start"]) for row in stored)
        assert max(keys.values(), default=1) == 1, window
        same_rows(stored, rows, ("device_id", "window_start"))


def assert_alerts(lh: Lakehouse, wanted: Expected) -> list[dict[str, Any]]:
    """Assert the ledger holds each incident of `wanted` once, of kind streams, resolved
    when `wanted` resolved it and open otherwise; return the ledger's stream rows."""
    rows = [row for row in rows_of(lh, "ops.alerts", "incident_id") if row["kind"] == "streams"]
    resolved = {incident for incident, opened in wanted.transitions if not opened}
    opened = [incident for incident, was_opened in wanted.transitions if was_opened]
    assert sorted(row["incident_id"] for row in rows) == sorted(opened)
    for row in rows:
        status = "resolved" if row["incident_id"] in resolved else "open"
        assert row["status"] == status, row
        assert row["source"] == NAME and row["opened_at"] is not None
    return rows


def told(bodies: list[dict[str, Any]]) -> Counter[tuple[str, bool]]:
    """Return how many times each (incident, opened) was told to a webhook channel."""
    found: Counter[tuple[str, bool]] = Counter()
    for body in bodies:
        incident = re.search(r"incident: (\S+)", str(body.get("message", "")))
        assert incident is not None, body
        found[
            (incident.group(1), not str(body.get("title", "")).startswith("[lakebox] resolved"))
        ] += 1
    return found


def assert_told_once(bodies: list[dict[str, Any]], wanted: Expected) -> None:
    """Assert each opening and resolution of `wanted` was told once, and nothing else."""
    assert told(bodies) == Counter(wanted.transitions)
