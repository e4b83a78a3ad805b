"""Backfill: pull one window of an incremental source's cursor again, moving no state.

The window is `[start, end)`: rows whose cursor is at or after `start` and before `end`, so
consecutive windows (January, then February) neither overlap nor leave a gap. A database
source filters on its cursor column with bound parameters; an `http` source sends `start` in
`incremental.param` and `end` in `incremental.end_param`, and the API decides its own bounds.

The batch lands like any pull, its manifest row marked with the window (`backfill`), but it
carries no cursor: its formatted commit holds no `lakebox.cursor`, so the saved state, read
back from the commits, stays where the last normal pull left it.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time

from lakebox.config import IncrementalConfig, SourceConfig
from lakebox.errors import ConfigError
from lakebox.ground.reporter import NULL_REPORTER, Reporter
from lakebox.lakehouse import Lakehouse
from lakebox.landing import state
from lakebox.landing.loader import LandingReport, land
from lakebox.landing.state import Cursor, Window

logger = logging.getLogger(__name__)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A bound written as the first type is read as the second when the cursor holds the second.
_WIDENS = {("date", "timestamp"), ("integer", "decimal")}
_A_VALUE = {
    "timestamp": "a timestamp",
    "date": "a date",
    "integer": "an integer",
    "decimal": "a decimal number",
    "string": "text",
}


def backfill(
    lh: Lakehouse, source_name: str, start: str, end: str, reporter: Reporter = NULL_REPORTER
) -> LandingReport:
    """Return what landing the rows of `source_name` whose cursor is in `[start, end)` did;
    the source's saved incremental state does not move (format the batch afterwards)."""
    return land_window(lh, source_name, window_of(lh, source_name, start, end), reporter)


def window_of(lh: Lakehouse, source_name: str, start: str, end: str) -> Window:
    """Return the window `[start, end)` of `source_name`'s cursor; raise ConfigError for a
    source that cannot be backfilled or bounds that do not fit its cursor."""
    incremental = backfillable(source_name, lh.source(source_name))
    return parse_window(lh, source_name, incremental, start, end)


def land_window(
    lh: Lakehouse, source_name: str, window: Window, reporter: Reporter = NULL_REPORTER
) -> LandingReport:
    """Return what landing `window` of `source_name` did (its state does not move)."""
    logger.info("%s: backfilling %s", source_name, window.to_json())
    return land(lh, source_name, reporter, window=window)


def backfillable(source_name: str, source: SourceConfig) -> IncrementalConfig:
    """Return the source's incremental settings; raise ConfigError for a source that has no
    window to backfill (files, a full pull) or an API that cannot be told one."""
    if not source.pulled:
        raise ConfigError(
            f"source {source_name!r} is a files source: it has no cursor to backfill by",
            hint="put the missing files in its folder and run 'lakebox ingest'",
            source=source_name,
        )
    if source.incremental is None:
        raise ConfigError(
            f"source {source_name!r} is not incremental: each pull reads everything and "
            f"replaces formatted.{source_name}, so there is no window to backfill",
            hint="run 'lakebox ingest' for a full pull, or add 'incremental: {cursor: <column>}'",
            source=source_name,
        )
    if source.kind == "http":
        _check_api_parameters(source_name, source.incremental)
    return source.incremental


def _check_api_parameters(source_name: str, incremental: IncrementalConfig) -> None:
    """Raise ConfigError unless the API can be sent both ends of the window."""
    example = "e.g. incremental: {cursor: updated_at, param: since, end_param: until}"
    if not incremental.param:
        raise ConfigError(
            f"source {source_name!r} has no 'incremental.param': a backfill sends the "
            "window's start to the API in it",
            hint=f"add the API's start parameter, {example}",
            source=source_name,
        )
    if not incremental.end_param:
        raise ConfigError(
            f"source {source_name!r} has no 'incremental.end_param': the API must be told "
            "where the window ends, and a backfill never fetches up to now in its place",
            hint=f"add the API's end parameter, {example}",
            source=source_name,
        )


def parse_window(
    lh: Lakehouse, source_name: str, incremental: IncrementalConfig, start: str, end: str
) -> Window:
    """Return `[start, end)` as cursors of the type the source's cursor holds (known from its
    saved state or `initial`, else from the bounds themselves); raise ConfigError if they do
    not parse as it, or `start` is not before `end`."""
    field = incremental.cursor
    first, last = _bound(field, start, "start"), _bound(field, end, "end")
    example = _known_cursor(lh, source_name, incremental) or _wider(first, last)
    window = Window(_as_type(first, "start", example), _as_type(last, "end", example))
    _check_order(window)
    return window


def _bound(field: str, text: str, which: str) -> Cursor:
    """Return one bound as written, typed as it parses (a date given for a timestamp cursor
    is then widened to its midnight, and sent so to an API)."""
    written = text.strip()
    if not written:
        raise ConfigError(
            f"the backfill's {which} is empty", hint="give a cursor value, e.g. 2026-01-01"
        )
    kind = "date" if _is_plain_date(written) else Cursor.parse(field, written).type
    return Cursor(field, written, kind)


def _is_plain_date(text: str) -> bool:
    """Return whether `text` is a date alone, written 2026-01-01 (parsed as its midnight);
    20260101 is an integer, though Python reads it as a date too."""
    if not _ISO_DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _known_cursor(lh: Lakehouse, source_name: str, incremental: IncrementalConfig) -> Cursor | None:
    """Return a value of the source's cursor: its saved state, else its `initial`, or None."""
    saved = state.committed(lh, source_name)
    if saved is not None:
        return saved
    if incremental.initial is not None:
        return Cursor.parse(incremental.cursor, incremental.initial)
    return None


def _wider(first: Cursor, second: Cursor) -> Cursor:
    """Return whichever bound's type the other widens to (a date to a timestamp)."""
    return second if (first.type, second.type) in _WIDENS else first


def _as_type(bound: Cursor, which: str, example: Cursor) -> Cursor:
    """Return `bound` as `example`'s type: widened, kept, or refused with an example."""
    if bound.type == example.type or example.type == "string":
        return Cursor(bound.field, bound.value, example.type)
    if (bound.type, example.type) not in _WIDENS:
        raise ConfigError(
            f"the backfill's {which} {bound.value!r} is {_A_VALUE[bound.type]}, but the cursor "
            f"{bound.field!r} holds {_A_VALUE[example.type]} such as {example.value}",
            hint=f"write the {which} like {example.value}",
        )
    if example.type == "decimal":
        return Cursor(bound.field, bound.value, "decimal")
    return Cursor.of(bound.field, _midnight(bound, example))


def _midnight(day: Cursor, example: Cursor) -> datetime:
    """Return the start of a date, in UTC when the cursor's times carry an offset."""
    moment = example.typed()
    aware = isinstance(moment, datetime) and moment.tzinfo is not None
    return datetime.combine(date.fromisoformat(day.value), time(), UTC if aware else None)


def _check_order(window: Window) -> None:
    """Raise ConfigError unless the window's start comes before its end."""
    start, end = window.start, window.end
    try:
        ordered = start.typed() < end.typed()  # type: ignore[operator]
    except TypeError:
        raise ConfigError(
            f"the backfill's start {start.value} and end {end.value} cannot be compared: "
            "one has a UTC offset and the other has none",
            hint="give both with an offset (2026-01-01T00:00:00Z) or both without",
        ) from None
    if not ordered:
        raise ConfigError(
            f"the backfill's start {start.value} is not before its end {end.value}",
            hint="the window runs from its start (included) to its end (excluded)",
        )
