"""Running a dashboard's SQL through the serving QueryService (read-only, one query at a
time, row limit, timeout) as the viewing user — who needs no ability of their own (viewers see
dashboards), only grants on the tables a chart reads, whose masks and row filters apply — and
trying every chart once with the filters' defaults."""

from __future__ import annotations

from lakebox.errors import AccessDenied, LakeboxError
from lakebox.serving.dashboards.filters import Runner, resolve
from lakebox.serving.dashboards.queries import BoundQuery, bind
from lakebox.serving.dashboards.spec import Chart, Dashboard
from lakebox.serving.queries import QueryResult, QueryService


def runner(queries: QueryService) -> Runner:
    """Return a Runner giving a filter's SQL rows as tuples; a filter over a table the user
    may not read has no rows for them (its options are empty; the rest of the dashboard
    still works, and its charts over that table say why they fail)."""

    def run(bound: BoundQuery) -> list[tuple[object, ...]]:
        try:
            table = run_chart(queries, bound).table
        except AccessDenied:
            return []
        return list(zip(*(column.to_pylist() for column in table.columns), strict=True))

    return run


def run_chart(
    queries: QueryService, bound: BoundQuery, limit: int | None = None, action: str = "query"
) -> QueryResult:
    """Run a dashboard's bound SQL as the user (no ability needed; their grants, masks and
    row filters apply), audited as `action` ("download" for a CSV file)."""
    return queries.run(bound.sql, limit, parameters=bound.parameters, ability=None, action=action)


def try_charts(board: Dashboard, queries: QueryService) -> dict[str, str]:
    """Return, per chart that fails with the filters' defaults, why: its SQL's error or the
    declared columns its result lacks."""
    try:
        resolved = resolve(board.filters, {}, runner(queries))
    except LakeboxError as error:
        return {"(filters)": str(error)}
    failed: dict[str, str] = {}
    for name, chart in board.charts.items():
        try:
            bound = bind(chart.sql, resolved.choices, resolved.parameters)
            columns = run_chart(queries, bound, limit=1).table
        except LakeboxError as error:
            failed[name] = str(error)
            continue
        missing = [column for column in _declared(chart) if column not in columns.column_names]
        if missing:
            failed[name] = (
                f"its SQL gives no column {missing[0]!r} (it gives {columns.column_names})"
            )
    return failed


def _declared(chart: Chart) -> list[str]:
    named = [chart.x, *chart.y, chart.series, chart.value]
    return [column for column in named if column is not None]
