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
                    found.append(self._resolve(state, int(times[start]), int(offsets[start])))
                state.run = 0
                continue
            if state.run == 0:
                state.since = int(times[start])
            at = None if state.incident else self._opening(state, times, start, end)
            if at is not None:
                state.incident = self._incident(key, int(offsets[at]), int(times[at]), values[at])
                found.append(Transition(state.incident, True, int(times[at]), int(offsets[at])))
            state.run += end - start
        return found

    def _opening(self, state: KeyRun, times: np.ndarray, start: int, end: int) -> int | None:
        """Return the index in [start, end) at which the condition has held long enough."""
        if self.config.held_for is not None:
            enough = np.flatnonzero(times[start:end] - state.since >= micros(self.config.held_for))
            return start + int(enough[0]) if len(enough) else None
        needed = self.config.readings - state.run
        return start + needed - 1 if needed <= end - start else None

    def _resolve(self, state: KeyRun, at: int, offset: int) -> Transition:
        incident, state.incident = state.incident, None
        assert incident is not None
        return Transition(incident, False, at, offset)

    def _incident(self, key: object, offset: int, at: int, value: float) -> Incident:
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
    held = f"for {rule.held_for}" if rule.held_for is not None else f"for {rule.readings} readings"
    return f"{measure} {sign} {bound:g} {held}"


class EventRules:
    """The threshold and rate rules of a stream, read event by event, per key."""

    def __init__(self, rules: list[Rule], key: str) -> None:
        self.rules = rules
        self.key = key

    def observe(self, events: pa.Table) -> list[Transition]:
        """Return the transitions `events` (in offset order) cause."""
        if not self.rules or events.num_rows == 0:
            return []
        numbered = events.append_column("_i", pa.array(np.arange(events.num_rows)))
        groups = numbered.group_by(self.key, use_threads=False).aggregate([("_i", "list")])
        times = events.column(TIME).to_numpy()
        offsets = events.column(OFFSET).to_numpy()
        found = []
        for rule in self.rules:
            values = _floats(events.column(str(rule.config.field)))
            for key, rows in zip(
                groups.column(self.key).to_pylist(),
                groups.column("_i_list").to_pylist(),
                strict=True,
            ):
                index = np.asarray(rows)
                index = index[~np.isnan(values[index])]
                if len(index):
                    found += _observe_rule(rule, key, values[index], times[index], offsets[index])
        return sorted(found, key=lambda transition: transition.offset)


def _observe_rule(
    rule: Rule, key: object, values: np.ndarray, times: np.ndarray, offsets: np.ndarray
) -> list[Transition]:
    if rule.config.kind == "rate":
        state = rule.keys.setdefault(key, KeyRun())
        before_t = np.concatenate(([state.previous[0] if state.previous else times[0]], times[:-1]))
        before_v = np.concatenate(
            ([state.previous[1] if state.previous else values[0]], values[:-1])
        )
        seconds = (times - before_t) / MICROS
        change = np.abs(values - before_v)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(
                seconds > 0,
                change / np.where(seconds > 0, seconds, 1),
                np.where(change > 0, np.inf, 0.0),
            )
        holds = _holds(rule.config, rate)
        if state.previous is None:
            holds[0] = False  # the first reading of a key has no rate yet
        state.previous = (int(times[-1]), float(values[-1]))
        return rule.observe(key, holds, times, offsets, values)
    return rule.observe(key, _holds(rule.config, values), times, offsets, values)


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
