"""The sample a file's schema is inferred from: its first rows' cleaned values, in long form.

The sample is one table of (column, value) rows, so each question asked of it (how many
values would a BIGINT refuse? which decimal mark do the numbers use?) is one expression over
the whole sample, grouped by column. Its cost grows with the number of values sampled and
never with the SQL's width: a 5,000-column file is asked the same few short queries as a
5-column one (a query with one aggregate per column and type ran DuckDB out of memory on a
200-column file).
"""

from __future__ import annotations

from collections.abc import Iterable

from lakebox.config import SourceConfig
from lakebox.engine import DuckDBEngine
from lakebox.formatted import rules, types
from lakebox.ground.sql import quote_literal

SAMPLE_ROWS = 50_000
# A wide file samples fewer rows, so the sample never holds more values than this (never
# fewer than MIN_ROWS rows): 50,000 rows up to 200 columns, 2,000 rows of 5,000 columns.
SAMPLE_CELLS = 10_000_000
MIN_ROWS = 1_000
TABLE = "_sample"
_VALUE = "_value"


def sample_rows(width: int) -> int:
    """Return how many rows of a file `width` columns wide are sampled."""
    return max(MIN_ROWS, min(SAMPLE_ROWS, SAMPLE_CELLS // max(width, 1)))


def take(engine: DuckDBEngine, raw_table: str, texts: list[str], source: SourceConfig) -> None:
    """Create the sample table: per sampled row and column `texts[i]` (SQL over the raw
    table giving the column's text), the row `(i, its cleaned text)`."""
    listed = ", ".join(texts) or "NULL::VARCHAR"
    cleaned = clean_text(_VALUE, source)
    engine.execute(
        f"CREATE OR REPLACE TEMP TABLE {TABLE} AS SELECT _column::INTEGER AS _column, "
        f"{cleaned} AS {_VALUE} FROM (SELECT unnest(range({len(texts)})) AS _column, "
        f"unnest([{listed}]::VARCHAR[]) AS {_VALUE} "
        f"FROM (SELECT * FROM {raw_table} LIMIT {sample_rows(len(texts))}))"
    )


def drop(engine: DuckDBEngine) -> None:
    """Drop the sample table."""
    engine.execute(f"DROP TABLE IF EXISTS {TABLE}")


def non_null(engine: DuckDBEngine, columns: Iterable[int]) -> dict[int, int]:
    """Return, per column of `columns`, how many of its sampled values are not NULL."""
    return _grouped(engine, columns, f"count({_VALUE})")


def refused(
    engine: DuckDBEngine,
    columns: Iterable[int],
    kind: str,
    date_formats: list[str],
    decimal: str | None,
) -> dict[int, int]:
    """Return, per column of `columns`, how many of its values type `kind` refuses (read
    with decimal mark `decimal`)."""
    cast = types.inference_cast_sql(_VALUE, kind, date_formats, decimal)
    return _grouped(
        engine, columns, f"count(*) FILTER (WHERE {_VALUE} IS NOT NULL AND ({cast}) IS NULL)"
    )


def evidence(engine: DuckDBEngine, columns: Iterable[int], mark: str) -> dict[int, int]:
    """Return, per column of `columns`, how many values can only be numbers with `mark` as
    their decimal mark."""
    found = types.decimal_evidence_sql(_VALUE, mark)
    return _grouped(engine, columns, f"count(*) FILTER (WHERE {found})")


def clean_text(raw: str, source: SourceConfig) -> str:
    """Return SQL giving the text of `raw` as the rules clean it before casting: trimmed, and
    NULL for a null token (trimmed whole, as a value to be typed)."""
    plan = rules.ColumnPlan(name="_", type="DOUBLE", raw=raw, value=raw)
    plan = rules.null_tokens_to_null(rules.strip_whitespace(plan, source), source)
    return plan.value


def _grouped(engine: DuckDBEngine, columns: Iterable[int], aggregate: str) -> dict[int, int]:
    """Return `aggregate` over the sample per column of `columns` (0 for a column with no
    sampled row)."""
    wanted = sorted(set(columns))
    if not wanted:
        return {}
    listed = quote_literal("[" + ",".join(str(column) for column in wanted) + "]")
    rows = engine.execute(
        f"SELECT _column, {aggregate} FROM {TABLE} WHERE _column IN "
        f"(SELECT unnest({listed}::INTEGER[])) GROUP BY _column"
    ).fetchall()
    counts = dict.fromkeys(wanted, 0)
    counts.update({int(column): int(count) for column, count in rows})
    return counts
