"""Running a dashboard's SQL through the serving QueryService (read-only, one query at a
time, row limit, timeout), and trying every chart once with the filters' defaults."""

from __future__ import annotations

from lakebox.errors import LakeboxError
from lakebox.serving.dashboards.filters import Runner, resolve
from lakebox.serving.dashboards.queries import BoundQuery, bind
from lakebox.serving.dashboards.spec import Chart, Dashboard
from lakebox.serving.queries import QueryService


def runner(queries: QueryService) -> Runner:
    """Return a Runner giving a filter's SQL rows as tuples."""

    def run(bound: BoundQuery) -> list[tuple[object, ...]]:
        table = queries.run(bound.sql, parameters=bound.parameters).table
        return list(zip(*(column.to_pylist() for column in table.columns), strict=True))

    return run


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
            columns = queries.run(bound.sql, limit=1, parameters=bound.parameters).table
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
