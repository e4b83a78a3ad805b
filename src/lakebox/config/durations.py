"""Durations as lakebox.yaml writes them: `30`, `'90s'`, `'10 min'`, `'2h'`, `'1 day'`.

Two readings: a lookback or age (a whole number and a unit, e.g. `incremental.lookback`,
`max_age`) and a duration of the pipelines (a number of seconds, or a number and a unit).
"""

from __future__ import annotations

import re

from lakebox.errors import ConfigError

# A whole number and a unit: '2h', '30 min', '1 day'.
LOOKBACK = re.compile(
    r"^\s*(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)\s*$", re.IGNORECASE
)
# A number (a fraction too) and an optional unit, seconds when left out: '90', '1.5h'.
_DURATION = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)?\s*$",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def lookback_seconds(value: str) -> int:
    """Return a lookback duration like '2h' or '30 min' in seconds."""
    match = LOOKBACK.match(value)
    if match is None:
        raise ConfigError(f"lookback {value!r} is not a duration like '2h' or '30 min'")
    unit = match.group(2).lower()[0]
    return int(match.group(1)) * _UNIT_SECONDS[unit]


def duration_seconds(value: float | str) -> float:
    """Return a duration (a number of seconds, or text like '90s', '10 min', '2h') in seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a duration like 30, '90s', '10 min' or '2h'")
    unit = (match.group(2) or "s").lower()[0]
    return float(match.group(1)) * _UNIT_SECONDS[unit]
