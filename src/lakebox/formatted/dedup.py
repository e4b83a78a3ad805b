"""Row-level rules: exact duplicates removed, and the latest row kept per declared key.

Both find the few rows to drop with a hash aggregate first, so the expensive comparison runs
only over rows that may repeat.
"""

from __future__ import annotations

from lakebox.engine import DuckDBEngine
from lakebox.ground.sql import quote_identifier


def rows_to_drop(
    engine: DuckDBEngine,
    staged: str,
    columns: list[str],
    key: list[str],
    target: str,
    keep_duplicates: bool = False,
    within: tuple[str, ...] = (),
) -> int:
    """Create table `target(_ordinal)` of the good rows to drop; return how many. With
    `keep_duplicates`, exact copies of a row are kept (a stream's events: each one counts).
    `within`: columns whose values part the rows into files, each deduplicated on its own
    (several files staged together; their `_ordinal`s unique across them)."""
    duplicates = _exact_duplicates(staged, [*within, *columns])
    if keep_duplicates:
        duplicates = f"SELECT _ordinal FROM {staged} WHERE false"
    engine.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS {duplicates}")
    if key:
        superseded = _superseded(staged, [*within, *key], target)
        engine.execute(f"INSERT INTO {target} {superseded}")
    row = engine.execute(f"SELECT count(*) FROM {target}").fetchone()
    return int(row[0]) if row else 0


def _exact_duplicates(staged: str, columns: list[str]) -> str:
    """Later copies of a row whose every canonical value equals an earlier row's."""
    quoted = ", ".join(quote_identifier(column) for column in columns)
    return (
        f"SELECT _ordinal FROM (SELECT _ordinal, row_number() OVER (PARTITION BY {quoted} "
        f"ORDER BY _ordinal) AS _copy FROM {staged} WHERE _reason IS NULL AND _hash IN ("
        f"SELECT _hash FROM {staged} WHERE _reason IS NULL GROUP BY _hash HAVING count(*) > 1"
        f")) WHERE _copy > 1"
    )


def _superseded(staged: str, key: list[str], dropped: str) -> str:
    """Earlier rows of a key that a later row in the same file replaces (latest wins)."""
    quoted = ", ".join(quote_identifier(column) for column in key)
    alive = f"_reason IS NULL AND _ordinal NOT IN (SELECT _ordinal FROM {dropped})"
    return (
        f"SELECT _ordinal FROM (SELECT _ordinal, row_number() OVER (PARTITION BY {quoted} "
        f"ORDER BY _ordinal DESC) AS _newer FROM {staged} WHERE {alive} AND hash({quoted}) IN ("
        f"SELECT hash({quoted}) FROM {staged} WHERE {alive} GROUP BY ALL HAVING count(*) > 1"
        f")) WHERE _newer > 1"
    )
