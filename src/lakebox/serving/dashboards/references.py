"""What a dashboard's parts refer to, checked once the whole file is known: each chart's tab,
the `{{ filter.fragment }}` and `$parameter` of every SQL, and that every SQL only reads.

Each problem comes with the path of the YAML key at fault, so the loader can name its line.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice, product

from lakebox.errors import LakeboxError
from lakebox.serving.dashboards.queries import bind, fragments_used
from lakebox.serving.dashboards.spec import (
    CHART_NAME,
    FILTER_NAME,
    RESERVED,
    Dashboard,
    DateRangeFilter,
    Filter,
    HourRangeFilter,
    MultiSelectFilter,
    ResolutionFilter,
    ResolutionOption,
    SelectFilter,
)

Problem = tuple[tuple[str, ...], str]
# Each SQL is checked under every combination of resolution options, up to this many.
MAX_COMBINATIONS = 64


def problems(board: Dashboard) -> list[Problem]:
    """Return every reference problem of `board`, in the order of the file."""
    return [*_names(board), *_parameter_names(board), *_tabs(board), *_sql(board)]


def parameters_of(name: str, declared: Filter) -> list[str]:
    """Return the SQL parameters a filter gives: `$name`, or `$name_from` and `$name_to`."""
    if isinstance(declared, SelectFilter | MultiSelectFilter):
        return [name]
    if isinstance(declared, DateRangeFilter | HourRangeFilter):
        return [f"{name}_from", f"{name}_to"]
    return []


def _names(board: Dashboard) -> Iterator[Problem]:
    for name in board.filters:
        if not FILTER_NAME.match(name) or name in RESERVED:
            yield (
                ("filters", name),
                (
                    f"filter name {name!r} must be lower-case letters, digits and _ (it becomes "
                    f"the SQL parameter ${name}), and not one of {', '.join(sorted(RESERVED))}"
                ),
            )
    for part in ("tabs", "charts"):
        for name in getattr(board, part):
            if not CHART_NAME.match(name):
                yield (
                    (part, name),
                    (f"name {name!r} must be lower-case letters, digits, - and _ (it is in URLs)"),
                )


def _parameter_names(board: Dashboard) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for name, declared in board.filters.items():
        for parameter in parameters_of(name, declared):
            if parameter in seen:
                message = f"its parameter ${parameter} is also filter {seen[parameter]!r}'s"
                yield ("filters", name), message + "; rename one"
            seen[parameter] = name


def _tabs(board: Dashboard) -> Iterator[Problem]:
    for name, chart in board.charts.items():
        if chart.tab is not None and chart.tab not in board.tabs:
            known = ", ".join(board.tabs) or "none are declared under 'tabs'"
            yield ("charts", name, "tab"), f"unknown tab {chart.tab!r}; tabs: {known}"


def _sql(board: Dashboard) -> Iterator[Problem]:
    available: list[str] = []
    for name, declared in board.filters.items():
        text = getattr(declared, "options_sql", None) or getattr(declared, "bounds_sql", None)
        if text:
            key = "options_sql" if getattr(declared, "options_sql", None) else "bounds_sql"
            yield from _one_sql(board, ("filters", name, key), text, available)
        available += parameters_of(name, declared)
    for name, chart in board.charts.items():
        yield from _one_sql(board, ("charts", name, "sql"), chart.sql, available)


def _one_sql(
    board: Dashboard, path: tuple[str, ...], sql: str, available: list[str]
) -> Iterator[Problem]:
    resolutions = {
        name: declared
        for name, declared in board.filters.items()
        if isinstance(declared, ResolutionFilter)
    }
    for name, key in fragments_used(sql):
        if name not in resolutions:
            yield path, f"{{{{ {name} }}}} names no resolution filter; declare it under 'filters'"
            return
        declared = resolutions[name].options[0].fragments
        if key is not None and key not in declared:
            yield path, f"resolution {name!r} has no fragment {key!r}; it has {sorted(declared)}"
            return
    values = dict.fromkeys(available)
    for choices in combinations(resolutions):
        try:
            bind(sql, choices, values)
        except LakeboxError as error:
            chosen = ", ".join(f"{name}={option.value}" for name, option in choices.items())
            yield path, f"{error}" + (f" (with {chosen})" if chosen else "")
            return


def combinations(
    resolutions: dict[str, ResolutionFilter],
) -> Iterator[dict[str, ResolutionOption]]:
    names = list(resolutions)
    every = product(*(resolutions[name].options for name in names))
    for options in islice(every, MAX_COMBINATIONS):
        yield dict(zip(names, options, strict=True))
