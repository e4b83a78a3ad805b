"""`lakebox stream replay NAME`: the window tables computed again from the cold path.

The stream's landed events are formatted first (what a flush landed and no run formatted
yet), then `formatted.<stream>` is read back in each partition's offset order (a flush's
batch id gives its partition and first offset, the event's line in it the rest) and run
through a fresh partition state, exactly as the worker ran them. The window tables are
replaced by the result in one commit each, and each partition's checkpoint by the replayed
state, so a worker goes on after the last landed event. Alerts are not sent again: the
replayed incidents are the ones the live run opened.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from lakebox.catalog import TableRef
from lakebox.errors import StreamError
from lakebox.formatted.formatter import format_pending
from lakebox.ground.reporter import NULL_REPORTER, Reporter
from lakebox.ground.sql import quote_identifier
from lakebox.lakehouse import Lakehouse
from lakebox.stream import checkpoint
from lakebox.stream.events import OFFSET, TIME, schema
from lakebox.stream.partition import PartitionState
from lakebox.stream.status import read_status
from lakebox.stream.tables import window_ref, window_rows
from lakebox.tables import commit_rows

CHUNK_ROWS = 100_000
_SPAN = r"-p(\d+)-(\d+)-(\d+)$"


@dataclass
class ReplayReport:
    """What a replay read and wrote."""

    stream: str
    events: int = 0
    late: int = 0
    partitions: list[int] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def replay(lh: Lakehouse, name: str, reporter: Reporter = NULL_REPORTER) -> ReplayReport:
    """Recompute stream `name`'s window tables and checkpoints from `formatted.<name>`."""
    stream = lh.config.streams.get(name)
    if stream is None:
        raise StreamError(f"no stream named {name!r}")
    if read_status(lh, name).running:
        raise StreamError(
            f"stream {name!r} has a running worker",
            hint="stop 'lakebox stream run' (or 'lakebox serve') first, then replay",
        )
    format_pending(lh, name, reporter)
    report = ReplayReport(name)
    rows: dict[str, list[pa.Table]] = {window: [] for window in stream.windows}
    states: dict[int, PartitionState] = {}
    for partition, chunk in _events(lh, name):
        state = states.get(partition)
        if state is None:
            state = states[partition] = PartitionState(name, stream, partition, lh)
        output = state.apply(chunk, [], int(chunk.column(OFFSET)[-1].as_py()))
        report.events += chunk.num_rows
        report.late += output.late
        for window, closed in output.rows.items():
            rows[window] += closed
        reporter.progress("replay", name, report.events, report.events)
    batch = f"{name}-replay-{uuid.uuid4().hex[:12]}"
    for window, closed in rows.items():
        table = window_rows(stream, window, closed)
        properties = {"lakebox.replay": name}
        commit_rows(lh, window_ref(name, window), table, batch, properties, replace=True)
        report.rows[window] = table.num_rows
    refused = _refused(lh, name)
    for state in states.values():
        state.next_offset = max(state.next_offset, _landed_end(lh, name, state.partition))
        state.counters.refused = refused.get(state.partition, 0)
        checkpoint.save(lh, state)
    report.partitions = sorted(states)
    return report


def _events(lh: Lakehouse, name: str) -> object:
    """Yield (partition, events) chunks of `formatted.<name>` in each partition's order."""
    stream = lh.config.streams[name]
    if lh.catalog.load(TableRef("formatted", name)) is None:
        return
    fields = ", ".join(quote_identifier(field) for field in stream.fields)
    span = f"regexp_extract(_batch_id, '{_SPAN}', ['p', 'first', 'last'])"
    sql = (
        f"SELECT {fields}, s.p::BIGINT AS _p, s.first::BIGINT + _source_line - 1 AS {OFFSET} "
        f"FROM (SELECT *, {span} AS s FROM formatted.{quote_identifier(name)}) "
        f"WHERE s.p <> '' ORDER BY _p, {OFFSET}"
    )
    lh.refresh()
    with lh.engine.lock:
        reader = lh.engine.execute(sql).fetch_record_batch(CHUNK_ROWS)
        wanted = schema(stream)
        for batch in reader:
            table = pa.Table.from_batches([batch])
            for partition in pc.unique(table.column("_p")).to_pylist():
                part = table.filter(pc.equal(table.column("_p"), partition))
                events = part.select(list(stream.fields)).cast(wanted)
                events = events.append_column(OFFSET, part.column(OFFSET))
                micros = pc.cast(events.column(stream.time), pa.int64())
                yield int(partition), events.append_column(TIME, micros)


def _refused(lh: Lakehouse, name: str) -> dict[int, int]:
    """Return per partition how many of its landed events the format step refused (the
    counts a replayed checkpoint carries on, as the live one did)."""
    if lh.catalog.load(TableRef("quarantine", name)) is None:
        return {}
    partition = f"regexp_extract(_batch_id, '{_SPAN}', 1)"
    sql = (
        f"SELECT {partition}::BIGINT AS p, count(*) AS n FROM quarantine.{quote_identifier(name)} "
        f"WHERE {partition} <> '' GROUP BY 1"
    )
    lh.refresh()
    with lh.engine.lock:
        return {int(p): int(n) for p, n in lh.engine.execute(sql).fetchall()}


def _landed_end(lh: Lakehouse, name: str, partition: int) -> int:
    """Return the offset after the last one a flush of `partition` landed."""
    ends = [
        int(batch.rsplit("-", 1)[1]) + 1
        for batch in lh.manifest.batch_ids(name, f"{name}-p{partition}-")
    ]
    return max(ends, default=0)
