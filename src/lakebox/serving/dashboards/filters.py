"""A dashboard's filters resolved from a request: each value checked against what the filter
allows (its options, its bounds, 0–23), typed, and turned into the parameters charts bind.

Values arrive as text (URL query strings: `store=BCN-01&weekday=1&weekday=2&dates_from=…`).
Resolved `strict`ly, a value the filter does not allow is an error; otherwise it falls back to
the filter's default, so that an old link or a store change never leaves the page broken.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel

from lakebox.errors import DashboardError
from lakebox.serving.dashboards.queries import BoundQuery, bind
from lakebox.serving.dashboards.spec import (
    DateRangeFilter,
    Filter,
    HourRangeFilter,
    MultiSelectFilter,
    Option,
    ResolutionFilter,
    ResolutionOption,
    Scalar,
    SelectFilter,
    as_text,
)

# Runs a filter's own SQL (its options or bounds) and returns the rows.
Runner = Callable[[BoundQuery], list[tuple[object, ...]]]
Raw = Mapping[str, list[str]]
T = TypeVar("T", date, int)


class OptionState(BaseModel):
    """A choice as the page shows it: the value as text, and its label."""

    value: str
    label: str


class FilterState(BaseModel):
    """A filter resolved for one request: its value (as text), choices and bounds."""

    name: str
    kind: str
    label: str
    description: str | None = None
    value: str | list[str] | list[int] | None = None
    options: list[OptionState] = []
    bounds: list[str] | list[int] | None = None
    all: str | None = None
    parameters: list[str] = []


@dataclass
class Resolved:
    """Every filter's state, the parameters charts bind, and the resolutions' choices."""

    states: list[FilterState] = field(default_factory=list)
    parameters: dict[str, object] = field(default_factory=dict)
    choices: dict[str, ResolutionOption] = field(default_factory=dict)


def resolve(filters: dict[str, Filter], raw: Raw, run: Runner, strict: bool = False) -> Resolved:
    """Return the filters' states for the request values `raw`, in declared order; a filter's
    options SQL may use the parameters of the filters declared before it."""
    resolved = Resolved()
    for name, declared in filters.items():
        if isinstance(declared, ResolutionFilter):
            resolved.choices[name] = _resolution(name, declared, raw, strict)
    for name, declared in filters.items():
        resolved.states.append(_resolve_one(name, declared, raw, run, strict, resolved))
    return resolved


def _resolve_one(
    name: str, declared: Filter, raw: Raw, run: Runner, strict: bool, resolved: Resolved
) -> FilterState:
    state = FilterState(
        name=name,
        kind=declared.kind,
        label=declared.label or name.replace("_", " ").capitalize(),
        description=declared.description,
    )
    if isinstance(declared, ResolutionFilter):
        option = resolved.choices[name]
        state.value = option.value
        state.options = [
            OptionState(value=choice.value, label=choice.label or choice.value)
            for choice in declared.options
        ]
        return state
    if isinstance(declared, SelectFilter | MultiSelectFilter):
        options = _options(declared, run, resolved)
        state.options = [OptionState(value=as_text(o.value), label=o.shown) for o in options]
        by_text = {as_text(option.value): option.value for option in options}
        if isinstance(declared, SelectFilter):
            _select(state, declared, by_text, raw.get(name), strict, resolved)
        else:
            _multiselect(state, declared, by_text, raw.get(name), strict, resolved)
    elif isinstance(declared, DateRangeFilter):
        _date_range(state, declared, raw, run, strict, resolved)
    else:
        _hour_range(state, declared, raw, strict, resolved)
    return state


def _resolution(name: str, declared: ResolutionFilter, raw: Raw, strict: bool) -> ResolutionOption:
    fallback = declared.option(declared.default or "") or declared.options[0]
    given = _last(raw.get(name))
    if given is None:
        return fallback
    chosen = declared.option(given)
    if chosen is None and strict:
        raise _not_an_option(name, given, [option.value for option in declared.options])
    return chosen or fallback


def _options(
    declared: SelectFilter | MultiSelectFilter, run: Runner, resolved: Resolved
) -> list[Option]:
    if declared.options is not None:
        return declared.options
    assert declared.options_sql is not None
    rows = run(bind(declared.options_sql, resolved.choices, resolved.parameters))
    return [
        Option(value=row[0], label=None if len(row) < 2 or row[1] is None else str(row[1]))
        for row in rows
        if row and isinstance(row[0], bool | int | float | date | str)
    ]


def _select(
    state: FilterState,
    declared: SelectFilter,
    by_text: dict[str, Scalar],
    given: list[str] | None,
    strict: bool,
    resolved: Resolved,
) -> None:
    state.all = declared.all
    text = _last(given)
    if text is not None and not (text == "" and declared.all) and text not in by_text:
        if strict:
            raise _not_an_option(state.name, text, list(by_text))
        text = None
    if text is None:
        text = _default_select(declared, by_text)
    value: Scalar | None = by_text.get(text) if text else None
    state.value = text or None
    state.parameters = [state.name]
    resolved.parameters[state.name] = value


def _default_select(declared: SelectFilter, by_text: Mapping[str, Scalar]) -> str:
    wanted = as_text(declared.default) if declared.default is not None else None
    if wanted in by_text:
        return str(wanted)
    if declared.all:
        return ""
    return next(iter(by_text), "")


def _multiselect(
    state: FilterState,
    declared: MultiSelectFilter,
    by_text: dict[str, Scalar],
    given: list[str] | None,
    strict: bool,
    resolved: Resolved,
) -> None:
    if given is None:
        defaults = declared.default if declared.default is not None else list(by_text.values())
        texts = [as_text(value) for value in defaults if as_text(value) in by_text]
    else:
        texts = [text for text in given if text != ""]
        unknown = [text for text in texts if text not in by_text]
        if unknown and strict:
            raise _not_an_option(state.name, unknown[0], list(by_text))
        texts = [text for text in texts if text in by_text]
    state.value = texts
    state.parameters = [state.name]
    resolved.parameters[state.name] = [by_text[text] for text in texts]


def _date_range(
    state: FilterState,
    declared: DateRangeFilter,
    raw: Raw,
    run: Runner,
    strict: bool,
    resolved: Resolved,
) -> None:
    bounds = _date_bounds(declared, run, resolved)
    state.parameters = [f"{state.name}_from", f"{state.name}_to"]
    chosen = None
    if bounds is not None:
        state.bounds = [bounds[0].isoformat(), bounds[1].isoformat()]
        given = _range(state.name, raw, _a_date, strict)
        chosen = _clamped(given, bounds) if given else _default_dates(declared, bounds)
        state.value = [chosen[0].isoformat(), chosen[1].isoformat()]
    resolved.parameters.update(dict(zip(state.parameters, chosen or (None, None), strict=True)))


def _date_bounds(
    declared: DateRangeFilter, run: Runner, resolved: Resolved
) -> tuple[date, date] | None:
    if declared.bounds is not None:
        return declared.bounds[0], declared.bounds[1]
    assert declared.bounds_sql is not None
    rows = run(bind(declared.bounds_sql, resolved.choices, resolved.parameters))
    first = rows[0] if rows else ()
    if len(first) < 2 or first[0] is None or first[1] is None:
        return None
    low, high = (_as_date(value) for value in first[:2])
    return (low, high) if low <= high else (high, low)


def _default_dates(declared: DateRangeFilter, bounds: tuple[date, date]) -> tuple[date, date]:
    if declared.default is not None:
        return _clamped((declared.default[0], declared.default[1]), bounds)
    if declared.default_days is not None:
        start = bounds[1] - timedelta(days=declared.default_days - 1)
        return max(start, bounds[0]), bounds[1]
    return bounds


def _hour_range(
    state: FilterState, declared: HourRangeFilter, raw: Raw, strict: bool, resolved: Resolved
) -> None:
    state.bounds = [0, 23]
    state.parameters = [f"{state.name}_from", f"{state.name}_to"]
    hours = _range(state.name, raw, _an_hour, strict) or declared.default
    state.value = list(hours)
    resolved.parameters.update(dict(zip(state.parameters, hours, strict=True)))


def _range(name: str, raw: Raw, parse: Callable[[str], T], strict: bool) -> tuple[T, T] | None:
    """Return the `name_from`/`name_to` pair given, or None (also for a bad one, unless strict)."""
    texts = (_last(raw.get(f"{name}_from")), _last(raw.get(f"{name}_to")))
    if texts == (None, None):
        return None
    try:
        if texts[0] is None or texts[1] is None:
            raise ValueError(f"give both {name}_from and {name}_to")
        low, high = parse(texts[0]), parse(texts[1])
        if low > high:
            raise ValueError(f"{name}_from {texts[0]} comes after {name}_to {texts[1]}")
    except ValueError as error:
        if strict:
            raise DashboardError(f"filter {name!r}: {error}", field=name) from None
        return None
    return low, high


def _clamped(pair: tuple[date, date], bounds: tuple[date, date]) -> tuple[date, date]:
    low = min(max(pair[0], bounds[0]), bounds[1])
    high = max(min(pair[1], bounds[1]), low)
    return low, high


def _a_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date like 2025-06-01") from None


def _an_hour(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 23:
        raise ValueError(f"{text!r} is not an hour from 0 to 23")
    return int(text)


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _last(values: list[str] | None) -> str | None:
    return values[-1] if values else None


def _not_an_option(name: str, given: str, allowed: list[str]) -> DashboardError:
    shown = ", ".join(allowed[:12]) + (", …" if len(allowed) > 12 else "")
    return DashboardError(
        f"filter {name!r}: {given!r} is not one of its options",
        hint=f"choose one of: {shown}" if allowed else "it has no options now",
        field=name,
    )
