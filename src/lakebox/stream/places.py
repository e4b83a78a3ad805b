"""Where a stream keeps its things: local state (write-ahead log, status, worker locks)
under `.lakebox/streams/<name>/` in the project, and checkpoints in the lake's storage, so
workers on several machines sharing the lake restore each other's partitions."""

from __future__ import annotations

from pathlib import Path

from lakebox.lakehouse import Lakehouse

STATE_FOLDER = Path(".lakebox") / "streams"
CHECKPOINTS = "_streams"


def state_dir(lh: Lakehouse, name: str) -> Path:
    """Return the stream's local state folder, created if missing."""
    folder = lh.project_dir / STATE_FOLDER / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def wal_dir(lh: Lakehouse, name: str) -> Path:
    """Return the folder of the stream's write-ahead log."""
    return state_dir(lh, name) / "wal"


def checkpoint_key(name: str, partition: int) -> str:
    """Return where partition `partition`'s checkpoint lives in the lake's storage."""
    return f"{CHECKPOINTS}/{name}/checkpoints/p{partition}.pickle"


def batch_id(name: str, partition: int, first: int, last: int) -> str:
    """Return the batch id of a flush: the stream, partition, and first and last offset."""
    return f"{name}-p{partition}-{first}-{last}"


def batch_span(name: str, batch: str) -> tuple[int, int, int] | None:
    """Return (partition, first, last) of a flush's batch id of stream `name`, else None."""
    prefix = f"{name}-p"
    if not batch.startswith(prefix):
        return None
    parts = batch[len(prefix) :].split("-")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    partition, first, last = (int(part) for part in parts)
    return partition, first, last
