"""Windows in event time, per key: tumbling and hopping (`size`, `every`) and session (`gap`).

An event counts in a window only while the window is open: a sized window closes once the
watermark reaches its end, a session once the watermark reaches its last event plus the gap.
Each event is judged against the watermark as it stood just before it (the running maximum
of the event times before it in its partition, less the allowed lateness), so what a window
holds depends only on the partition's order of events, never on how they were batched:
a replay of the same events gives the same rows. An event no open window takes is late.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakebox.config.durations import duration_seconds
from lakebox.config.streams import NUMERIC_TYPES, StreamConfig, WindowConfig
from lakebox.stream.accumulators import START, Aggregation
from lakebox.stream.events import TIME

MICROS = 1_000_000


def micros(duration: float | str) -> int:
    """Return a duration in whole microseconds."""
    return round(duration_seconds(duration) * MICROS)


_TIMESTAMP = pa.timestamp("us", tz="UTC")


def finished(aggregation: Aggregation, rows: pa.Table, ends: pa.Array) -> pa.Table:
    """Return window rows: the key, `window_start`, `window_end`, then the aggregates."""
    starts = rows.column(START)
    columns = {
        aggregation.key: rows.column(aggregation.key),
        "window_start": pc.cast(starts, _TIMESTAMP),
        "window_end": pc.cast(ends, _TIMESTAMP),
        **aggregation.finish(rows),
    }
    return pa.table(columns)


class SizedWindows:
    """The open tumbling or hopping windows of one window declaration, all keys in one
    table of partial aggregates."""

    def __init__(self, config: WindowConfig, stream: StreamConfig) -> None:
        self.size = micros(config.size)  # type: ignore[arg-type]
        self.every = micros(config.every) if config.every is not None else self.size
        self.key = stream.key
        numeric = {name for name, kind in stream.value_fields.items() if kind in NUMERIC_TYPES}
        self.aggregation = Aggregation(dict(config.aggregates), numeric, stream.key)
        self.state: pa.Table | None = None

    def add(self, events: pa.Table, watermarks: np.ndarray) -> np.ndarray:
        """Count `events` (in offset order, with the watermark before each) in their open
        windows; return which events no window took."""
        times = events.column(TIME).to_numpy()
        taken = np.zeros(len(times), dtype=bool)
        parts = []
        for hop in range(self.size // self.every):
            starts = (times // self.every) * self.every - hop * self.every
            keep = starts + self.size > watermarks
            taken |= keep
            if keep.any():
                chosen = events.filter(pa.array(keep))
                parts.append(chosen.append_column(START, pa.array(starts[keep], pa.int64())))
        if parts:
            partial = self.aggregation.partial(pa.concat_tables(parts))
            self.state = self.aggregation.combine([self.state, partial])
        return ~taken

    def close(self, watermark: int) -> pa.Table | None:
        """Remove and return the windows whose end is at or before `watermark`, by key
        and start (None when none closes)."""
        if self.state is None:
            return None
        done = pc.less_equal(pc.add(self.state.column(START), self.size), watermark)
        if not pc.any(done).as_py():
            return None
        closed = self.state.filter(done)
        self.state = self.state.filter(pc.invert(done))
        return self._rows(closed)

    def current(self) -> pa.Table | None:
        """Return the open windows as rows (for the live view), by key and start."""
        return None if self.state is None or not self.state.num_rows else self._rows(self.state)

    def _rows(self, state: pa.Table) -> pa.Table:
        state = state.sort_by([(self.key, "ascending"), (START, "ascending")])
        return finished(self.aggregation, state, pc.add(state.column(START), self.size))


@dataclass
class _Session:
    start: int
    last: int
    partial: pa.Table  # one row of partial aggregates


@dataclass
class SessionWindows:
    """The open session windows of one declaration: per key, runs of events less than `gap`
    apart; a session ends `gap` after its last event."""

    config: WindowConfig
    stream: StreamConfig
    open: dict[object, list[_Session]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        self.gap = micros(self.config.gap)  # type: ignore[arg-type]
        numeric = {n for n, kind in self.stream.value_fields.items() if kind in NUMERIC_TYPES}
        self.aggregation = Aggregation(dict(self.config.aggregates), numeric, self.stream.key)

    def add(self, events: pa.Table, watermarks: np.ndarray) -> np.ndarray:
        """Count each event not behind the watermark in its key's session, merging sessions
        it bridges; return which events were late."""
        times = events.column(TIME).to_numpy()
        late = times < watermarks
        keys = events.column(self.stream.key).to_pylist()
        for index in np.flatnonzero(~late):
            moment = int(times[index])
            one = events.slice(int(index), 1).append_column(START, pa.array([0], pa.int64()))
            self._place(keys[index], moment, self.aggregation.partial(one))
        return late

    def _place(self, key: object, moment: int, partial: pa.Table) -> None:
        sessions = self.open[key]
        near = [s for s in sessions if s.start - self.gap < moment < s.last + self.gap]
        merged = _Session(moment, moment, partial)
        for session in near:
            sessions.remove(session)
            both = self.aggregation.combine([session.partial, merged.partial])
            merged = _Session(
                min(session.start, merged.start), max(session.last, merged.last), both
            )
        sessions.append(merged)

    def close(self, watermark: int) -> pa.Table | None:
        """Remove and return the sessions that ended at or before `watermark`."""
        done = []
        for key in list(self.open):
            sessions = self.open[key]
            ended = [s for s in sessions if s.last + self.gap <= watermark]
            for session in ended:
                sessions.remove(session)
            done += ended
            if not sessions:
                del self.open[key]
        return self._rows(done)

    def current(self) -> pa.Table | None:
        """Return the open sessions (for the live view), by key and start."""
        return self._rows([s for sessions in self.open.values() for s in sessions])

    def _rows(self, sessions: list[_Session]) -> pa.Table | None:
        if not sessions:
            return None
        partials = [
            s.partial.set_column(
                s.partial.schema.get_field_index(START), START, pa.array([s.start])
            )
            for s in sessions
        ]
        table = pa.concat_tables(partials, promote_options="default")
        table = table.append_column("_end", pa.array([s.last + self.gap for s in sessions]))
        table = table.sort_by([(self.stream.key, "ascending"), (START, "ascending")])
        return finished(self.aggregation, table, table.column("_end"))


Windows = SizedWindows | SessionWindows


def windows_of(config: WindowConfig, stream: StreamConfig) -> Windows:
    """Return the open-window state of one window declaration."""
    if config.kind == "session":
        return SessionWindows(config, stream)
    return SizedWindows(config, stream)
