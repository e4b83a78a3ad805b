"""A partition's checkpoint: its whole state (windows, averages, rule state, scorers, the
next offset to read), pickled and stored in the lake's storage in one atomic write.

A checkpoint names the stream's config it was taken under; a worker refuses to go on from
one whose config differs (its windows would not match) and says how to rebuild it.
"""

from __future__ import annotations

import hashlib
import pickle
import uuid

from lakebox.config.streams import StreamConfig
from lakebox.errors import StreamError
from lakebox.lakehouse import Lakehouse
from lakebox.stream.partition import PartitionState
from lakebox.stream.places import checkpoint_key

FORMAT = 1


def fingerprint(stream: StreamConfig) -> str:
    """Return a digest of what a stream's state depends on (not its intake or flush)."""
    shape = stream.model_dump(mode="json", exclude={"intake", "flush", "batch_events"})
    return hashlib.sha256(repr(sorted(shape.items())).encode()).hexdigest()[:16]


def save(lh: Lakehouse, state: PartitionState) -> None:
    """Store `state` as its partition's checkpoint, replacing the previous one at once."""
    local = lh.scratch_dir / f"checkpoint-{uuid.uuid4().hex}.pickle"
    local.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "config": fingerprint(state.stream), "state": state}
    with local.open("wb") as handle:
        pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
    lh.storage.put(local, checkpoint_key(state.stream_name, state.partition), move=True)


def load(lh: Lakehouse, name: str, stream: StreamConfig, partition: int) -> PartitionState | None:
    """Return partition `partition`'s checkpointed state, or None before its first one."""
    key = checkpoint_key(name, partition)
    if not lh.storage.exists(key):
        return None
    with lh.storage.as_local_file(key) as path, path.open("rb") as handle:
        payload = pickle.load(handle)  # written by lakebox itself into the project's lake
    if payload.get("format") != FORMAT or payload.get("config") != fingerprint(stream):
        raise StreamError(
            f"stream {name!r}: partition {partition}'s checkpoint was taken under another "
            "declaration of the stream (its fields, windows, averages or rules changed)",
            hint=f"rebuild the window tables and state from the landed events with "
            f"'lakebox stream replay {name}'",
        )
    state: PartitionState = payload["state"]
    state.stream = stream
    return state


def remove(lh: Lakehouse, name: str, partition: int) -> None:
    """Forget partition `partition`'s checkpoint."""
    lh.storage.delete(checkpoint_key(name, partition))
