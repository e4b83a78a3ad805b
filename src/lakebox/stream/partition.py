"""One partition's hot-path state and its processing of a micro-batch: parse, score, judge
each event against the watermark, count it in its windows, run the event rules, then close
the windows the watermark passed, with their moving averages and window rules.

Everything here follows the partition's offset order alone, so a replay of the same events,
batched any other way, gives the same window rows and the same incidents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakebox.config.streams import StreamConfig
from lakebox.stream.averages import MovingAverage
from lakebox.stream.events import TIME, Record, Refusal, parse
from lakebox.stream.rules import EventRules, Rule, Transition
from lakebox.stream.scoring import Scorer, scorers_for
from lakebox.stream.windows import Windows, micros, windows_of

if TYPE_CHECKING:
    from lakebox.lakehouse import Lakehouse

NO_WATERMARK = np.iinfo(np.int64).min // 2


@dataclass
class Output:
    """What a micro-batch produced: closed window rows per window, incident transitions,
    and how many events were accepted, refused and late."""

    rows: dict[str, list[pa.Table]] = field(default_factory=dict)
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
        if records and records[0].offset < self.next_offset:
            records = [record for record in records if record.offset >= self.next_offset]
        if not records:
            return Output()
        parsed = parse(records, self.stream)
        return self.apply(parsed.events, parsed.refused, records[-1].offset)

    def apply(self, events: pa.Table, refused: list[Refusal], last_offset: int) -> Output:
        """Take parsed events (declared fields, `_offset`, `_t`, in offset order) and the
        refusals of the offsets up to `last_offset`."""
        events = self._scored(events)
        output = Output(accepted=events.num_rows, refused=refused)
        if events.num_rows:
            output.late = self._count_in_windows(events)
            output.transitions += self.event_rules.observe(events)
        self._close(output)
        self.next_offset = last_offset + 1
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
            if closed is not None and closed.num_rows:
                output.rows.setdefault(name, []).append(self._averaged(name, closed, output))
                self.counters.windows_closed += closed.num_rows

    def _averaged(self, name: str, closed: pa.Table, output: Output) -> pa.Table:
        """Return `closed` (by key and start) with its moving averages; judge its zscore
        rules on the way (each against the averages of the windows before)."""
        averages = {n: a for n, a in self.averages.items() if a.config.window == name}
        rules = [rule for rule in self.window_rules if rule.config.window == name]
        if not averages and not rules:
            return closed
        keys = closed.column(self.stream.key).to_pylist()
        starts = pc.cast(closed.column("window_start"), pa.int64()).to_pylist()
        ends = pc.cast(closed.column("window_end"), pa.int64()).to_pylist()
        wanted = {a.config.of for a in averages.values()} | {str(r.config.of) for r in rules}
        values = {column: closed.column(column).to_pylist() for column in wanted}
        computed: dict[str, list[float | None]] = {n: [] for n in averages}
        for index, key in enumerate(keys):
            for rule in rules:
                average = self.averages[str(rule.config.average)]
                value = values[str(rule.config.of)][index]
                output.transitions += _judge(rule, average, key, starts[index], ends[index], value)
            for average_name, average in averages.items():
                value = values[average.config.of][index]
                computed[average_name].append(average.update(key, starts[index], value))
        for average_name, column in computed.items():
            closed = closed.append_column(average_name, pa.array(column, pa.float64()))
        return closed

    def live(self, name: str) -> pa.Table | None:
        """Return the open windows of window `name` (for the live view), or None."""
        return self.windows[name].current()


def _judge(
    rule: Rule, average: MovingAverage, key: object, start: int, end: int, value: object
) -> list[Transition]:
    """Return what a closed window does to a zscore rule: its column against the key's
    moving average and deviation of the windows before it."""
    before = average.before(key)
    if value is None or before is None:
        return []
    mean, spread = before
    score = (float(value) - mean) / spread if spread > 0 else 0.0  # type: ignore[arg-type]
    holds = np.array([rule.config.holds(score)])
    return rule.observe(key, holds, np.array([end]), np.array([start]), np.array([score]))
