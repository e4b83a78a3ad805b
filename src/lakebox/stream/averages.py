"""Moving averages of a window's column, per key, over its closed windows in order: simple
over the last `over` windows, or exponential with a half-life in event time. A window whose
column has no value leaves the average where it was."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from lakebox.config.streams import AverageConfig
from lakebox.stream.windows import micros


@dataclass
class KeyHistory:
    """What one key's average remembers: its last values and the exponential state."""

    values: deque[float]
    ewm: float | None = None
    ewm_at: int | None = None


@dataclass
class MovingAverage:
    """One declared moving average and its per-key history."""

    name: str
    config: AverageConfig
    keys: dict[object, KeyHistory] = field(default_factory=dict)

    def history(self, key: object) -> KeyHistory:
        """Return `key`'s history (empty at first)."""
        found = self.keys.get(key)
        if found is None:
            found = self.keys[key] = KeyHistory(deque(maxlen=self.config.over or 1))
        return found

    def update(self, key: object, start: int, value: float | None) -> float | None:
        """Take the window of `key` starting at `start` (µs) into the average; return it."""
        history = self.history(key)
        if value is not None and not math.isnan(value):
            history.values.append(float(value))
            if self.config.half_life is not None:
                self._exponential(history, start, float(value))
        if self.config.over is not None:
            return sum(history.values) / len(history.values) if history.values else None
        return history.ewm

    def _exponential(self, history: KeyHistory, start: int, value: float) -> None:
        if history.ewm is None or history.ewm_at is None:
            history.ewm = value
        else:
            elapsed = (start - history.ewm_at) / micros(self.config.half_life)  # type: ignore[arg-type]
            weight = 1 - 0.5**elapsed
            history.ewm = weight * value + (1 - weight) * history.ewm
        history.ewm_at = start

    def before(self, key: object) -> tuple[float, float] | None:
        """Return the mean and sample deviation of `key`'s last values (before the window
        being judged), or None with fewer than two."""
        values = self.history(key).values
        if len(values) < 2:
            return None
        mean = sum(values) / len(values)
        spread = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        return mean, spread
