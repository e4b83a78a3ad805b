"""One partition's hot-path state and its processing of a micro-batch: parse, score, judge
each event against the watermark, count it in its windows, run the event rules, then close
the windows the watermark passed, with their moving averages and window rules.

Everything here follows the partition's offset order alone, so a replay of the same events,
batched any other way, gives the same window rows and the same incidents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from lakebox.config.streams import StreamConfig
from lakebox.stream.averages import MovingAverage
from lakebox.stream.events import TIME, Record, Refusal, parse
from lakebox.stream.rules import EventRules, Rule, Transition
from lakebox.stream.scoring import Scorer, scorers_for
from lakebox.stream.windows import ClosedWindow, Windows, micros, windows_of

if TYPE_CHECKING:
    from lakebox.lakehouse import Lakehouse

NO_WATERMARK = np.iinfo(np.int64).min // 2


@dataclass
class Output:
    """What a micro-batch produced: closed window rows per window, incident transitions,
    and how many events were accepted, refused and late."""

    rows: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    transitions: list[Transition] = field(default_factory=list)
    accepted: int = 0
    refused: list[Refusal] = field(default_factory=list)
    late: int = 0

    def extend(self, other: Output) -> None:
        """Add `other`'s results after these."""
        for name, rows in other.rows.items():
            self.rows.setdefault(name, []).extend(rows)
        self.transitions += other.transitions
        self.accepted += other.accepted
        self.refused += other.refused
        self.late += other.late


@dataclass
class Counters:
    """A partition's totals since its first event."""

    accepted: int = 0
    refused: int = 0
    late: int = 0
    windows_closed: int = 0


class PartitionState:
    """The state of one partition of one stream (pickled whole as its checkpoint)."""

    def __init__(
        self, stream_name: str, stream: StreamConfig, partition: int, lh: Lakehouse | None = None
    ) -> None:
        self.stream_name = stream_name
        self.stream = stream
        self.partition = partition
        self.next_offset = 0
        self.max_time: int | None = None
        self.counters = Counters()
        self.windows: dict[str, Windows] = {
            n: windows_of(w, stream) for n, w in stream.windows.items()
        }
        self.averages = {n: MovingAverage(n, a) for n, a in stream.averages.items()}
        rules = [Rule(stream_name, partition, n, r) for n, r in stream.alerts.items()]
        self.event_rules = EventRules([r for r in rules if r.config.kind != "zscore"], stream.key)
        self.window_rules = [r for r in rules if r.config.kind == "zscore"]
        self.scorers: list[Scorer] = scorers_for(stream, lh)

    @property
    def watermark(self) -> int:
        """Return the watermark (µs): the latest event time less the allowed lateness."""
        if self.max_time is None:
            return NO_WATERMARK
        return self.max_time - micros(self.stream.lateness)

    def open_incidents(self) -> list[object]:
        """Return the incidents open now, of every rule."""
        rules = [*self.event_rules.rules, *self.window_rules]
        return [run.incident for rule in rules for run in rule.keys.values() if run.incident]

    def process(self, records: Sequence[Record]) -> Output:
        """Take the next records of the partition (offsets from `next_offset` on)."""
        records = [record for record in records if record.offset >= self.next_offset]
        if not records:
            return Output()
        parsed = parse(records, self.stream)
        events = self._scored(parsed.events)
        output = Output(accepted=events.num_rows, refused=parsed.refused)
        if events.num_rows:
            output.late = self._count_in_windows(events)
            output.transitions += self.event_rules.observe(events)
        self._close(output)
        self.next_offset = records[-1].offset + 1
        self.counters.accepted += output.accepted
        self.counters.refused += len(output.refused)
        self.counters.late += output.late
        return output

    def _scored(self, events: pa.Table) -> pa.Table:
        for scorer in self.scorers:
            events = events.append_column(scorer.column, scorer.score(events))
        return events

    def _count_in_windows(self, events: pa.Table) -> int:
        times = events.column(TIME).to_numpy()
        seen = np.maximum.accumulate(times)
        before = np.concatenate(
            ([self.max_time if self.max_time is not None else NO_WATERMARK], seen[:-1])
        )
        if self.max_time is not None:
            before = np.maximum(before, self.max_time)
        lateness = micros(self.stream.lateness)
        watermarks = np.where(before == NO_WATERMARK, NO_WATERMARK, before - lateness)
        late = np.zeros(len(times), dtype=bool)
        if not self.windows:
            late = times < watermarks
        for windows in self.windows.values():
            late |= windows.add(events, watermarks)
        self.max_time = (
            int(seen[-1]) if self.max_time is None else max(self.max_time, int(seen[-1]))
        )
        return int(late.sum())

    def _close(self, output: Output) -> None:
        watermark = self.watermark
        for name, windows in self.windows.items():
            closed = windows.close(watermark)
            if closed:
                output.rows[name] = [self._row(name, window, output) for window in closed]
                self.counters.windows_closed += len(closed)

    def _row(self, name: str, window: ClosedWindow, output: Output) -> dict[str, object]:
        windows = self.windows[name]
        row: dict[str, object] = {
            self.stream.key: window.key,
            "window_start": _moment(window.start),
            "window_end": _moment(window.end),
            "events_count": window.accumulator.events,
            **windows.aggregation.values(window.accumulator),
        }
        for rule in self.window_rules:
            if rule.config.window == name:
                output.transitions += _judge(
                    rule, self.averages[str(rule.config.average)], window, row
                )
        for average_name, average in self.averages.items():
            if average.config.window == name:
                row[average_name] = average.update(window.key, window.start, row[average.config.of])  # type: ignore[arg-type]
        return row

    def live(self, name: str) -> list[dict[str, object]]:
        """Return the open windows of window `name`, as rows (for the live view)."""
        windows = self.windows[name]
        return [
            {
                self.stream.key: window.key,
                "window_start": _moment(window.start),
                "window_end": _moment(window.end),
                "events_count": window.accumulator.events,
                **windows.aggregation.values(window.accumulator),
            }
            for window in windows.current()
        ]


def _judge(
    rule: Rule, average: MovingAverage, window: ClosedWindow, row: dict[str, object]
) -> list[Transition]:
    """Return what a closed window does to a zscore rule: its column against the key's
    moving average of the windows before it."""
    value = row.get(str(rule.config.of))
    before = average.before(window.key)
    if value is None or before is None:
        return []
    mean, spread = before
    score = (float(value) - mean) / spread if spread > 0 else 0.0  # type: ignore[arg-type]
    holds = np.array([rule.config.holds(score)])
    at, offset = np.array([window.end]), np.array([window.start])
    return rule.observe(window.key, holds, at, offset, np.array([score]))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _moment(micros_value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros_value)
