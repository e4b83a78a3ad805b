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
from lakebox.stream.accumulators import Accumulator, Aggregation
from lakebox.stream.events import OFFSET, TIME

MICROS = 1_000_000
_START = "_start"


def micros(duration: float | str) -> int:
    """Return a duration in whole microseconds."""
    return round(duration_seconds(duration) * MICROS)


@dataclass
class ClosedWindow:
    """A window whose end the watermark passed: its key, bounds (µs) and aggregates."""

    key: object
    start: int
    end: int
    accumulator: Accumulator


class SizedWindows:
    """The open tumbling or hopping windows of one window declaration, per key."""

    def __init__(self, config: WindowConfig, stream: StreamConfig) -> None:
        self.size = micros(config.size)  # type: ignore[arg-type]
        self.every = micros(config.every) if config.every is not None else self.size
        self.key = stream.key
        numeric = {name for name, kind in stream.value_fields.items() if kind in NUMERIC_TYPES}
        self.aggregation = Aggregation(dict(config.aggregates), numeric)
        self.open: dict[tuple[object, int], Accumulator] = {}

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
                mask = pa.array(keep)
                parts.append(events.filter(mask).append_column(_START, pa.array(starts[keep])))
        if parts:
            self._merge(pa.concat_tables(parts))
        return ~taken

    def _merge(self, assigned: pa.Table) -> None:
        order = pc.sort_indices(assigned, [(TIME, "ascending"), (OFFSET, "ascending")])
        groups = self.aggregation.group(assigned.take(order), [self.key, _START])
        for (key, start), accumulator in groups:
            mine = self.open.get((key, start))
            if mine is None:
                self.open[(key, start)] = accumulator
            else:
                mine.merge(accumulator)

    def close(self, watermark: int) -> list[ClosedWindow]:
        """Remove and return the windows whose end is at or before `watermark`, by key and
        start."""
        done = sorted(
            ((key, start) for key, start in self.open if start + self.size <= watermark),
            key=lambda pair: (str(pair[0]), pair[1]),
        )
        return [ClosedWindow(k, s, s + self.size, self.open.pop((k, s))) for k, s in done]

    def current(self) -> list[ClosedWindow]:
        """Return the open windows (for the live view), by key and start."""
        return [
            ClosedWindow(key, start, start + self.size, accumulator)
            for (key, start), accumulator in sorted(
                self.open.items(), key=lambda item: (str(item[0][0]), item[0][1])
            )
        ]


@dataclass
class _Session:
    start: int
    last: int
    accumulator: Accumulator


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
        self.aggregation = Aggregation(dict(self.config.aggregates), numeric)

    def add(self, events: pa.Table, watermarks: np.ndarray) -> np.ndarray:
        """Count each event not behind the watermark in its key's session, merging sessions
        it bridges; return which events were late."""
        times = events.column(TIME).to_numpy()
        late = times < watermarks
        keys = events.column(self.stream.key).to_pylist()
        for index in np.flatnonzero(~late):
            single = self.aggregation.group(events.slice(int(index), 1), [self.stream.key])[0][1]
            self._place(keys[index], int(times[index]), single)
        return late

    def _place(self, key: object, moment: int, accumulator: Accumulator) -> None:
        sessions = self.open[key]
        near = [s for s in sessions if s.start - self.gap < moment < s.last + self.gap]
        merged = _Session(moment, moment, accumulator)
        for session in near:
            sessions.remove(session)
            session.accumulator.merge(merged.accumulator)
            merged = _Session(
                min(session.start, merged.start),
                max(session.last, merged.last),
                session.accumulator,
            )
        sessions.append(merged)

    def close(self, watermark: int) -> list[ClosedWindow]:
        """Remove and return the sessions that ended at or before `watermark`."""
        done = []
        for key in sorted(self.open, key=str):
            sessions = self.open[key]
            for session in sorted(sessions, key=lambda s: s.start):
                if session.last + self.gap <= watermark:
                    sessions.remove(session)
                    end = session.last + self.gap
                    done.append(ClosedWindow(key, session.start, end, session.accumulator))
            if not sessions:
                del self.open[key]
        return done

    def current(self) -> list[ClosedWindow]:
        """Return the open sessions (for the live view), by key and start."""
        return [
            ClosedWindow(key, s.start, s.last + self.gap, s.accumulator)
            for key in sorted(self.open, key=str)
            for s in sorted(self.open[key], key=lambda s: s.start)
        ]


Windows = SizedWindows | SessionWindows


def windows_of(config: WindowConfig, stream: StreamConfig) -> Windows:
    """Return the open-window state of one window declaration."""
    if config.kind == "session":
        return SessionWindows(config, stream)
    return SizedWindows(config, stream)
