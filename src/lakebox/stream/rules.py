"""Alert rules on a stream, per key, in event order: a condition held for N consecutive
readings or for a duration opens an incident; the first reading where it no longer holds
resolves it. threshold and rate rules read every event; zscore rules read closed windows.

An incident's id names the stream, rule, key and the offset of the reading that opened it,
so re-reading the same events after a restart opens the very same incidents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakebox.config.streams import RuleConfig
from lakebox.monitoring.incidents import Incident
from lakebox.stream.events import OFFSET, TIME
from lakebox.stream.windows import MICROS, micros

KIND = "streams"


@dataclass(frozen=True)
class Transition:
    """An incident opened or resolved by the reading at `offset` (event time `at`, µs)."""

    incident: Incident
    opened: bool
    at: int
    offset: int


@dataclass
class KeyRun:
    """A key's state under one rule: the run of readings meeting the condition, the reading
    before (for rates) and the open incident."""

    run: int = 0
    since: int = 0
    previous: tuple[int, float] | None = None
    incident: Incident | None = None


@dataclass
class Rule:
    """One declared rule of a stream and its per-key state."""

    stream: str
    partition: int
    name: str
    config: RuleConfig
    keys: dict[object, KeyRun] = field(default_factory=dict)

    def observe(
        self,
        key: object,
        holds: np.ndarray,
        times: np.ndarray,
        offsets: np.ndarray,
        values: np.ndarray,
    ) -> list[Transition]:
        """Take `key`'s readings in order (whether each meets the condition, its time,
        offset and value); return the incidents they open and resolve."""
        state = self.keys.setdefault(key, KeyRun())
        found: list[Transition] = []
        for start, end in _runs(holds):
            if not holds[start]:
                if state.incident is not None:
                    found.append(self.resolve(state, int(times[start]), int(offsets[start])))
                state.run = 0
                continue
            if state.run == 0:
                state.since = int(times[start])
            at = None if state.incident else self._opening(state, times, start, end)
            if at is not None:
                state.incident = self.incident(key, int(offsets[at]), int(times[at]), values[at])
                found.append(Transition(state.incident, True, int(times[at]), int(offsets[at])))
            state.run += end - start
        return found

    def _opening(self, state: KeyRun, times: np.ndarray, start: int, end: int) -> int | None:
        """Return the index in [start, end) at which the condition has held long enough."""
        if self.config.duration is not None:
            enough = np.flatnonzero(times[start:end] - state.since >= micros(self.config.duration))
            return start + int(enough[0]) if len(enough) else None
        needed = self.config.readings - state.run
        return start + needed - 1 if needed <= end - start else None

    def resolve(self, state: KeyRun, at: int, offset: int) -> Transition:
        incident, state.incident = state.incident, None
        assert incident is not None
        return Transition(incident, False, at, offset)

    def incident(self, key: object, offset: int, at: int, value: float) -> Incident:
        rule = self.config
        moment = datetime.fromtimestamp(at / MICROS, UTC).isoformat()
        return Incident(
            f"stream:{self.stream}:{self.name}:{key}:p{self.partition}-{offset}",
            KIND,
            self.stream,
            f"{self.stream} {self.name}: {key} {describe(rule)}",
            rule.severity,
            f"{describe(rule)} at {moment} (value {value:g})",
        )


def describe(rule: RuleConfig) -> str:
    """Return a rule's condition in words, e.g. 'pm25 > 35 for 3 readings'."""
    subject = rule.of if rule.kind == "zscore" else rule.field
    measure = {
        "threshold": subject,
        "rate": f"change of {subject} per s",
        "zscore": f"z-score of {subject}",
    }[rule.kind]
    sign = ">" if rule.above is not None else ("<=" if rule.kind == "rate" else "<")
    bound = rule.above if rule.above is not None else rule.below
    held = f"for {rule.duration}" if rule.duration is not None else f"for {rule.readings} readings"
    return f"{measure} {sign} {bound:g} {held}"


class EventRules:
    """The threshold and rate rules of a stream, read event by event, per key: each rule's
    runs are computed over the whole micro-batch at once (keys sorted apart, events in
    offset order within a key), and only the readings that open or resolve an incident
    are visited one by one."""

    def __init__(self, rules: list[Rule], key: str) -> None:
        self.rules = rules
        self.key = key

    def observe(self, events: pa.Table) -> list[Transition]:
        """Return the transitions `events` (in offset order) cause."""
        if not self.rules or events.num_rows == 0:
            return []
        encoded = pc.dictionary_encode(events.column(self.key)).combine_chunks()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        keys = encoded.dictionary.to_pylist()
        order = np.argsort(codes, kind="stable")
        times = events.column(TIME).to_numpy()[order]
        offsets = events.column(OFFSET).to_numpy()[order]
        found: list[Transition] = []
        for rule in self.rules:
            values = _floats(events.column(str(rule.config.field)))[order]
            valid = ~np.isnan(values)
            readings = _Readings(codes[order][valid], values[valid], times[valid], offsets[valid])
            found += _observe(rule, keys, readings)
        return sorted(found, key=lambda transition: transition.offset)


@dataclass
class _Readings:
    """One rule's readings of a micro-batch, grouped by key (as codes), in order within."""

    codes: np.ndarray
    values: np.ndarray
    times: np.ndarray
    offsets: np.ndarray

    def __post_init__(self) -> None:
        count = len(self.codes)
        first = np.ones(count, dtype=bool)
        first[1:] = self.codes[1:] != self.codes[:-1]
        self.starts = np.flatnonzero(first)
        self.ends = np.append(self.starts[1:], count) - 1
        self.group = np.cumsum(first) - 1
        self.begin = self.starts[self.group]  # each reading's group's first index

    def shifted(self, values: np.ndarray, at_start: np.ndarray) -> np.ndarray:
        """Return each reading's previous value in its group (`at_start` for the first)."""
        before = np.empty_like(values)
        before[1:] = values[:-1]
        before[self.starts] = at_start
        return before


def _observe(rule: Rule, keys: list[object], readings: _Readings) -> list[Transition]:
    if len(readings.codes) == 0:
        return []
    states = [rule.keys.setdefault(keys[readings.codes[i]], KeyRun()) for i in readings.starts]
    holds = _holds(
        rule.config, _rates(readings, states) if rule.config.kind == "rate" else readings.values
    )
    if rule.config.kind == "rate":
        holds[readings.starts[[s.previous is None for s in states]]] = False  # no rate yet
    run, since, cut = _runs_of(readings, holds, states)
    if rule.config.duration is not None:
        due = holds & (readings.times - since >= micros(rule.config.duration))
    else:
        due = holds & (run >= rule.config.readings)
    open_before = np.array([s.incident is not None for s in states])
    opened = _held_open(readings, holds, due, cut, open_before)
    was_open = readings.shifted(opened, open_before)
    changes = np.flatnonzero((opened & ~was_open) | (~holds & was_open))
    found = []
    for index in changes:
        state = states[readings.group[index]]
        key = keys[readings.codes[index]]
        at, offset = int(readings.times[index]), int(readings.offsets[index])
        if opened[index]:
            state.incident = rule.incident(key, offset, at, float(readings.values[index]))
            found.append(Transition(state.incident, True, at, offset))
        elif state.incident is not None:
            found.append(rule.resolve(state, at, offset))
    for state, end in zip(states, readings.ends, strict=True):
        state.run, state.since = int(run[end]), int(since[end]) if holds[end] else 0
        state.previous = (int(readings.times[end]), float(readings.values[end]))
    return found


def _rates(readings: _Readings, states: list[KeyRun]) -> np.ndarray:
    """Return each reading's change per second since the key's reading before it."""
    last_t = np.array([s.previous[0] if s.previous else 0 for s in states], dtype=np.int64)
    last_v = np.array([s.previous[1] if s.previous else np.nan for s in states])
    seconds = (readings.times - readings.shifted(readings.times, last_t)) / MICROS
    change = np.abs(readings.values - readings.shifted(readings.values, last_v))
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(seconds > 0, change / np.where(seconds > 0, seconds, 1), np.inf)
    return np.where(change == 0, 0.0, rate)


def _held_open(
    readings: _Readings,
    holds: np.ndarray,
    due: np.ndarray,
    cut: np.ndarray,
    open_before: np.ndarray,
) -> np.ndarray:
    """Return where an incident is open: from the first reading of a run that is due (or
    from the run's start, if the incident was open before the batch) to the run's end. A
    duration run is due by time, and a late reading inside it is not: it stays open."""
    index = np.arange(len(holds))
    latest_due = np.maximum.accumulate(np.where(due, index, -1))
    carried = (cut == readings.begin - 1) & open_before[readings.group]
    return holds & ((latest_due > cut) | carried)


def _runs_of(
    readings: _Readings, holds: np.ndarray, states: list[KeyRun]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return, per reading, the length of the run of readings meeting the condition that it
    ends (0 where it does not hold), the time that run began, and the index of the reading
    before the run (its group's start less one if the run carries over from the key's
    state)."""
    index = np.arange(len(holds))
    cut = np.maximum.accumulate(np.where(holds, readings.begin - 1, index))
    cut = np.maximum(cut, readings.begin - 1)
    unbroken = cut == readings.begin - 1
    carried = np.array([s.run for s in states])[readings.group]
    carried_since = np.array([s.since for s in states], dtype=np.int64)[readings.group]
    run = np.where(holds, index - cut + np.where(unbroken, carried, 0), 0)
    first = readings.times[np.minimum(cut + 1, len(holds) - 1)]
    since = np.where(unbroken & (carried > 0), carried_since, first)
    return run, since, cut


def _holds(config: RuleConfig, values: np.ndarray) -> np.ndarray:
    if config.above is not None:
        return values > config.above
    if config.kind == "rate":
        return values <= config.below
    return values < config.below


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False).astype(float)


def _runs(holds: np.ndarray) -> list[tuple[int, int]]:
    """Return the [start, end) runs of equal values in `holds`."""
    if len(holds) == 0:
        return []
    edges = np.flatnonzero(np.diff(holds.astype(np.int8))) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [len(holds)]))
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]
