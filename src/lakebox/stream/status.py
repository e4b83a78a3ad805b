"""A stream's live status, written by its worker at most once a second to one JSON file per
partition (`status-p<N>.json` in the stream's state folder) and read back merged: events
in, refused and late, the intake rate and lag, the watermark, the last flush's time, the
checkpoint's age, and per window the open windows of each key (for the live chart)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather

from lakebox.ground.json import json_default
from lakebox.lakehouse import Lakehouse
from lakebox.stream.locks import running
from lakebox.stream.places import STATE_FOLDER, state_dir

if TYPE_CHECKING:
    from lakebox.stream.worker import Worker

WRITE_EVERY = 1.0


@dataclass
class StreamStatus:
    """A stream's status, all partitions merged."""

    name: str
    running: bool = False
    partitions: list[int] = field(default_factory=list)
    events_in: int = 0
    refused: int = 0
    late: int = 0
    windows_closed: int = 0
    rate: float = 0.0
    lag: int = 0
    watermark: str | None = None
    last_flush_seconds: float | None = None
    checkpoint_age: float | None = None
    updated_at: str | None = None
    open_windows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class StatusWriter:
    """Writes a worker's status files, at most once a second."""

    def __init__(self, lh: Lakehouse, name: str) -> None:
        self.folder = state_dir(lh, name)
        self._written = 0.0
        self._counted: dict[int, tuple[float, int]] = {}
        self._flush_seconds: float | None = None
        self._checkpoint_at: float | None = None

    def flushed(self, seconds: float) -> None:
        """Note a flush (and its checkpoint) that took `seconds`."""
        self._flush_seconds, self._checkpoint_at = seconds, time.time()

    def write(self, worker: Worker, force: bool = False) -> None:
        """Write each partition's status, if a second has passed since the last write."""
        moment = time.monotonic()
        if not force and moment - self._written < WRITE_EVERY:
            return
        self._written = moment
        lag = worker.intake.lag() if worker.intake is not None else {}
        for partition, state in list(worker.states.items()):
            counted = state.counters.accepted + state.counters.refused
            before = self._counted.get(partition, (moment, counted))
            elapsed = moment - before[0]
            rate = (counted - before[1]) / elapsed if elapsed > 0 else 0.0
            self._counted[partition] = (moment, counted)
            document = {
                "partition": partition,
                "updated_at": time.time(),
                "events_in": counted,
                "refused": state.counters.refused,
                "late": state.counters.late,
                "windows_closed": state.counters.windows_closed,
                "rate": rate,
                "lag": lag.get(partition, 0),
                "watermark": state.max_time,
                "lateness_us": state.watermark - state.max_time if state.max_time else 0,
                "last_flush_seconds": self._flush_seconds,
                "checkpoint_at": self._checkpoint_at,
            }
            _write_json(self.folder / f"status-p{partition}.json", document)
            for window in state.windows:
                _write_open(self.folder / f"open-p{partition}-{window}.arrow", state.live(window))


def read_status(
    lh: Lakehouse, name: str, key: str | None = None, window: str | None = None
) -> StreamStatus:
    """Return stream `name`'s status, merged over its partitions' files; with `key`, also
    that key's open windows of each window."""
    status = StreamStatus(name)
    folder = lh.project_dir / STATE_FOLDER / name
    now = time.time()
    for path in sorted(folder.glob("status-p*.json")) if folder.exists() else []:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        _merge(status, document, now)
    if key is not None:
        status.open_windows = _open_windows(folder, key, window)
    status.running = bool(running(folder))
    if not status.running:
        status.rate = 0.0  # the last rate a stopped worker wrote is not a rate now
    return status


def _merge(status: StreamStatus, document: dict[str, Any], now: float) -> None:
    status.partitions.append(int(document["partition"]))
    for key in ("events_in", "refused", "late", "windows_closed", "lag"):
        setattr(status, key, getattr(status, key) + int(document.get(key) or 0))
    status.rate += float(document.get("rate") or 0.0)
    mark = document.get("watermark")
    if mark is not None:
        mark = int(mark) + int(document.get("lateness_us") or 0)
        moment = datetime.fromtimestamp(mark / 1e6, UTC).isoformat()
        status.watermark = max(status.watermark or moment, moment)
    if document.get("last_flush_seconds") is not None:
        status.last_flush_seconds = float(document["last_flush_seconds"])
    if document.get("checkpoint_at") is not None:
        age = now - float(document["checkpoint_at"])
        status.checkpoint_age = (
            age if status.checkpoint_age is None else max(status.checkpoint_age, age)
        )
    updated = datetime.fromtimestamp(float(document["updated_at"]), UTC).isoformat()
    status.updated_at = max(status.updated_at or updated, updated)


def _open_windows(
    folder: Path, key: str, window: str | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Return `key`'s open windows per window (of `window` only, when given), from every
    partition's file."""
    found: dict[str, list[dict[str, Any]]] = {}
    for name, table in open_tables(folder, window):
        mine = table.filter(pc.equal(pc.cast(table.column(0), pa.string()), key))
        found.setdefault(name, []).extend(mine.to_pylist())
    return found


def open_tables(
    folder: Path, window: str | None = None, columns: list[str] | None = None
) -> Iterator[tuple[str, pa.Table]]:
    """Yield (window, open windows of one partition) from the worker's files (of one
    `window` only, and only `columns`, when given); a file being replaced is skipped."""
    pattern = f"open-p*-{window}.arrow" if window else "open-p*-*.arrow"
    for path in sorted(folder.glob(pattern)) if folder.exists() else []:
        name = path.stem.split("-", 2)[2]
        if window is not None and name != window:
            continue  # another window whose name ends like this one's
        try:
            yield name, feather.read_table(path, columns=columns)
        except (OSError, KeyError, pa.ArrowInvalid):
            continue


def _write_open(path: Path, table: pa.Table | None) -> None:
    """Write a partition's open windows of one window (none: remove the file)."""
    if table is None:
        path.unlink(missing_ok=True)
        return
    temporary = path.with_name(path.name + ".tmp")
    feather.write_feather(table, temporary, compression="uncompressed")
    os.replace(temporary, path)


def _write_json(path: os.PathLike[str], document: dict[str, Any]) -> None:
    temporary = f"{os.fspath(path)}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(document, handle, default=json_default)
    os.replace(temporary, path)
