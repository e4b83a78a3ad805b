"""Values as JSON: the `default` that `json.dumps` calls for what it cannot write (dates as
ISO text, anything else as text), and whole results made JSON-ready the way the HTTP API
answers them (NaN and infinities as text, since JSON has no such numbers)."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any


def json_default(value: Any) -> Any:
    """Return what JSON writes for `value`: a date or time as ISO text, anything else as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def json_ready(value: Any) -> Any:
    """Return `value` as JSON-ready data: dates as ISO text, NaN and infinities as text (JSON
    has no such numbers), other unknown types as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if value is None or isinstance(value, str | int | float):
        return value
    return json_default(value)
