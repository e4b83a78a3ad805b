"""A dashboard's SQL made safe to run: resolution fragments chosen among the declared options,
user values bound as DuckDB prepared-statement parameters, never pasted into the text.

`{{ grain.time }}` (or `{{ grain }}`) is replaced by the fragment (or the value) of the option
the resolution filter `grain` chose — text written by the dashboard's author; `$store` stays a
placeholder that DuckDB fills with the bound value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from lakebox.errors import DashboardError, QueryError
from lakebox.ground.readonly import ensure_read_only
from lakebox.serving.dashboards.spec import ResolutionOption

FRAGMENT = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\s*\}\}")


@dataclass(frozen=True)
class BoundQuery:
    """Read-only SQL with `$name` placeholders and the values DuckDB binds to them."""

    sql: str
    parameters: dict[str, object] = field(default_factory=dict)


def fragments_used(sql: str) -> list[tuple[str, str | None]]:
    """Return the `(filter, fragment)` pairs `sql` refers to (`fragment` None for `{{ f }}`)."""
    return [(match.group(1), match.group(2)) for match in FRAGMENT.finditer(sql)]


def expand(sql: str, choices: Mapping[str, ResolutionOption]) -> str:
    """Return `sql` with each `{{ filter.fragment }}` replaced by the chosen option's text."""

    def chosen(match: re.Match[str]) -> str:
        name, key = match.group(1), match.group(2)
        option = choices.get(name)
        if option is None:
            raise DashboardError(f"the SQL uses {{{{ {name} }}}} but no resolution filter {name!r}")
        if key is None:
            return option.value
        if key not in option.fragments:
            raise DashboardError(f"resolution {name!r} option {option.value!r} has no {key!r}")
        return option.fragments[key]

    return FRAGMENT.sub(chosen, sql)


def placeholders(sql: str) -> set[str]:
    """Return the names of the `$name` parameters of one statement."""
    try:
        tree = sqlglot.parse_one(sql, dialect="duckdb")
    except sqlglot.errors.SqlglotError as error:
        raise QueryError(f"the SQL does not parse: {error}", sql=sql) from None
    names = {node.name for node in tree.find_all(exp.Placeholder)}
    if any(name in ("", "?") or name.isdigit() for name in names):
        raise DashboardError("use named parameters like $store, not ? or $1", sql=sql)
    return names


def bind(
    sql: str, choices: Mapping[str, ResolutionOption], values: Mapping[str, object]
) -> BoundQuery:
    """Return `sql` with its fragments chosen, checked read-only, and the values of the
    parameters it uses (DuckDB refuses values for parameters a statement lacks)."""
    expanded = ensure_read_only(expand(sql, choices))
    used = placeholders(expanded)
    unknown = sorted(used - set(values))
    if unknown:
        raise DashboardError(
            f"the SQL uses ${unknown[0]}, which no filter gives",
            hint=f"parameters available here: {', '.join('$' + n for n in values) or 'none'}",
            sql=expanded,
        )
    return BoundQuery(expanded, {name: values[name] for name in sorted(used)})
