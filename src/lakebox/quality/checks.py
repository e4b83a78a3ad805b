"""Data-quality checks compiled to SQL and run by the engine over one table (or a staged
snapshot of it, before it is published).

Row checks (`not_null`, `unique`, `accepted_values`, `range`, `regex`, `relationships`,
custom `sql`) select the failing rows: their count and a sample are the result. Table checks
(`row_count`, `freshness`, `drift`) measure one value and compare it with the bounds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from lakebox.config import CheckConfig, lookback_seconds
from lakebox.errors import LakeboxError
from lakebox.ground.sql import quote_identifier, quote_literal
from lakebox.lakehouse import Lakehouse

SAMPLE_ROWS = 5
PASS, FAIL, WARN, ERROR = "pass", "fail", "warn", "error"
# (table, check name, window) -> the check's last measured values, oldest first
History = Callable[[str, str, int], list[float]]


@dataclass
class CheckResult:
    """One check's outcome on one table."""

    table: str
    check: str
    kind: str
    severity: str
    status: str  # pass | fail (blocks) | warn | error (the check could not run; blocks)
    failing_rows: int = 0
    value: float | None = None  # what a table check measured
    message: str = ""
    sample: list[dict[str, object]] = field(default_factory=list)

    @property
    def blocks(self) -> bool:
        """Return whether this result stops the table from being published."""
        return self.status in (FAIL, ERROR)


def check_name(check: CheckConfig) -> str:
    """Return the check's name: given, or made from its kind and columns."""
    if check.name:
        return check.name
    spec = getattr(check, check.kind)
    if isinstance(spec, list):
        return f"{check.kind}({', '.join(spec)})"
    column = getattr(spec, "column", None)
    if check.kind == "drift":
        return f"drift({spec.metric}{', ' + column if column else ''})"
    return f"{check.kind}({column})" if column else check.kind


def run_checks(
    lh: Lakehouse,
    table: str,
    relation: str,
    checks: list[CheckConfig],
    history: History | None = None,
) -> list[CheckResult]:
    """Run `checks` of `table` over the SQL table expression `relation`."""
    return [run_check(lh, table, relation, check, history) for check in checks]


def run_check(
    lh: Lakehouse,
    table: str,
    relation: str,
    check: CheckConfig,
    history: History | None = None,
) -> CheckResult:
    """Run one check; a check that cannot run (a wrong column, bad SQL) is an `error`."""
    result = CheckResult(table, check_name(check), check.kind, check.severity, PASS)
    try:
        if check.kind in _TABLE_CHECKS:
            _TABLE_CHECKS[check.kind](lh, relation, check, result, history)
        else:
            _row_check(lh, _failing_rows_sql(relation, check), result)
    except LakeboxError as error:
        result.status, result.message = ERROR, f"the check could not run: {error.message}"
        return result
    if result.status == FAIL and check.severity == "warn":
        result.status = WARN
    return result


def _failing_rows_sql(relation: str, check: CheckConfig) -> str:
    """Return the SELECT of the rows that fail a row check."""
    if check.not_null is not None:
        nulls = " OR ".join(f"{quote_identifier(c)} IS NULL" for c in check.not_null)
        return f"SELECT * FROM {relation} WHERE {nulls}"
    if check.unique is not None:
        columns = ", ".join(quote_identifier(c) for c in check.unique)
        present = " AND ".join(f"{quote_identifier(c)} IS NOT NULL" for c in check.unique)
        return (
            f"SELECT * EXCLUDE (_lakebox_n) FROM (SELECT *, count(*) OVER (PARTITION BY "
            f"{columns}) AS _lakebox_n FROM {relation} WHERE {present}) WHERE _lakebox_n > 1"
        )
    if check.accepted_values is not None:
        spec = check.accepted_values
        values = ", ".join(quote_literal(str(value)) for value in spec.values)
        column = quote_identifier(spec.column)
        return (
            f"SELECT * FROM {relation} WHERE {column} IS NOT NULL AND "
            f"{column}::VARCHAR NOT IN ({values})"
        )
    if check.range is not None:
        return _range_sql(relation, check)
    if check.regex is not None:
        column = quote_identifier(check.regex.column)
        return (
            f"SELECT * FROM {relation} WHERE {column} IS NOT NULL AND NOT "
            f"regexp_full_match({column}::VARCHAR, {quote_literal(check.regex.pattern)})"
        )
    if check.relationships is not None:
        spec = check.relationships
        column, target = quote_identifier(spec.column), _qualified(spec.to)
        return (
            f"SELECT * FROM {relation} AS _lakebox_r WHERE {column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {target} AS _lakebox_t WHERE _lakebox_t.{quote_identifier(spec.field)}"
            f" = _lakebox_r.{column})"
        )
    return (check.sql or "").replace("{table}", relation)


def _range_sql(relation: str, check: CheckConfig) -> str:
    spec = check.range
    assert spec is not None
    column = quote_identifier(spec.column)
    outside = []
    if spec.min is not None:
        outside.append(f"{column} < {_literal(spec.min)}")
    if spec.max is not None:
        outside.append(f"{column} > {_literal(spec.max)}")
    condition = " OR ".join(outside) or "false"
    return f"SELECT * FROM {relation} WHERE {column} IS NOT NULL AND ({condition})"


def _row_check(lh: Lakehouse, failing_sql: str, result: CheckResult) -> None:
    counted = lh.engine.execute(f"SELECT count(*) FROM ({failing_sql})").fetchone()
    result.failing_rows = int(counted[0]) if counted else 0
    if result.failing_rows:
        result.status = FAIL
        rows = lh.engine.arrow(f"SELECT * FROM ({failing_sql}) LIMIT {SAMPLE_ROWS}").to_pylist()
        result.sample = json.loads(json.dumps(rows, default=str))
        result.message = f"{result.failing_rows} row(s) fail"


def _row_count(
    lh: Lakehouse, relation: str, check: CheckConfig, result: CheckResult, history: History | None
) -> None:
    spec = check.row_count
    assert spec is not None
    counted = lh.engine.execute(f"SELECT count(*) FROM {relation}").fetchone()
    result.value = float(counted[0]) if counted else 0.0
    low, high = spec.min, spec.max
    if (low is not None and result.value < low) or (high is not None and result.value > high):
        result.status = FAIL
        result.message = f"{int(result.value)} rows, expected {_bounds(low, high)}"


def _freshness(
    lh: Lakehouse, relation: str, check: CheckConfig, result: CheckResult, history: History | None
) -> None:
    spec = check.freshness
    assert spec is not None
    column = quote_identifier(spec.column)
    row = lh.engine.execute(
        f"SELECT epoch(now() - max({column})::TIMESTAMPTZ), max({column})::VARCHAR FROM {relation}"
    ).fetchone()
    age, newest = (row[0], row[1]) if row else (None, None)
    allowed = lookback_seconds(spec.max_age)
    if age is None:
        result.status, result.message = FAIL, f"no {spec.column} value at all"
        return
    result.value = float(age)
    if age > allowed:
        result.status = FAIL
        result.message = (
            f"newest {spec.column} is {newest}, {_duration(age)} old (max {spec.max_age})"
        )


def _drift(
    lh: Lakehouse, relation: str, check: CheckConfig, result: CheckResult, history: History | None
) -> None:
    spec = check.drift
    assert spec is not None
    measure = (
        "count(*)" if spec.metric == "row_count" else f"avg({quote_identifier(spec.column or '')})"
    )
    row = lh.engine.execute(f"SELECT ({measure})::DOUBLE FROM {relation}").fetchone()
    value = float(row[0]) if row and row[0] is not None else math.nan
    result.value = value
    earlier = history(result.table, result.check, spec.window) if history else []
    if len(earlier) < spec.min_runs:
        result.message = f"collecting history ({len(earlier)} of {spec.min_runs} runs)"
        return
    mean = sum(earlier) / len(earlier)
    spread = math.sqrt(sum((item - mean) ** 2 for item in earlier) / (len(earlier) - 1))
    score = abs(value - mean) / spread if spread else (0.0 if value == mean else math.inf)
    if math.isnan(value) or score > spec.z:
        result.status = FAIL
        result.message = (
            f"{spec.metric} {value:g} is {score:.1f} standard deviations from the mean "
            f"{mean:g} of the last {len(earlier)} runs (allowed {spec.z:g})"
        )


_TABLE_CHECKS = {"row_count": _row_count, "freshness": _freshness, "drift": _drift}


def _qualified(table: str) -> str:
    return ".".join(quote_identifier(part) for part in table.split("."))


def _literal(value: float | str) -> str:
    return repr(value) if isinstance(value, int | float) else quote_literal(str(value))


def _bounds(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"between {low} and {high}"
    return f"at least {low}" if low is not None else f"at most {high}"


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
