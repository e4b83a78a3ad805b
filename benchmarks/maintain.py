"""Maintenance benchmark: a table after many small appends, before and after `maintain`,
side by side with the same rows written in one go.

Run from the repository root (see benchmarks/README.md):

    .venv/bin/python benchmarks/maintain.py            # 1,000 appends of 1,000 rows
    .venv/bin/python benchmarks/maintain.py --quick    # 100 appends of 1,000 rows, seconds

One fresh project in a temporary folder holds two tables of the same rows:
  `formatted.appended`: `--appends` commits of `--rows` rows each (as hourly loads leave it),
  `formatted.one_go`:   the same rows committed once.
Each query runs `--repeat` times on lakebox's engine over the tables' current Iceberg
metadata (the best time counts): a full scan reading every column, and a selective filter
(1% of the ids). They run on `appended` before `maintain`, then again after it, beside
`one_go`. The target: after maintenance, each query within 1.2x of `one_go`, and the file
count bounded (here: at most the files of `one_go` plus one).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

TARGET = 1.2
QUERIES = {
    "full scan": "SELECT count(*), sum(amount), max(name), count(DISTINCT store) FROM {t}",
    "filter": "SELECT count(*), sum(amount) FROM {t} WHERE id BETWEEN {low} AND {high}",
}


def _rows(first: int, count: int) -> pa.Table:
    ids = pa.array(range(first, first + count), pa.int64())
    return pa.table(
        {
            "id": ids,
            "store": pa.array([f"s{i % 97}" for i in range(first, first + count)]),
            "name": pa.array([f"name-{i * 7919 % 100_003}" for i in range(first, first + count)]),
            "amount": pa.array([(i % 1000) * 0.25 for i in range(first, first + count)]),
        }
    )


def _load(lh, appends: int, rows: int) -> float:
    from lakebox.catalog import TableRef
    from lakebox.tables import commit_rows

    started = time.perf_counter()
    for number in range(appends):
        batch = f"b{number:05d}"
        table = _rows(number * rows, rows).append_column("_batch_id", pa.array([batch] * rows))
        commit_rows(lh, TableRef("formatted", "appended"), table, batch, {})
    seconds = time.perf_counter() - started
    whole = _rows(0, appends * rows).append_column(
        "_batch_id", pa.array(["all"] * (appends * rows))
    )
    commit_rows(lh, TableRef("formatted", "one_go"), whole, "all", {})
    return seconds


def _best(lh, sql: str, repeat: int) -> float:
    lh.refresh()
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        lh.engine.execute(sql).fetchall()
        best = min(best, time.perf_counter() - started)
    return best


def _files(lh, name: str) -> int:
    from lakebox.catalog import TableRef

    table = lh.catalog.load(TableRef("formatted", name))
    return len(list(table.scan().plan_files()))


def _measure(lh, name: str, total: int, repeat: int) -> dict[str, float]:
    low, high = total // 2, total // 2 + total // 100
    table = f"formatted.{name}"
    return {
        label: _best(lh, sql.format(t=table, low=low, high=high), repeat)
        for label, sql in QUERIES.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--appends", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1000, help="rows per append")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="100 appends: a smoke run")
    args = parser.parse_args()
    appends = 100 if args.quick else args.appends
    total = appends * args.rows

    import lakebox
    from lakebox.orchestration.maintenance import maintain_locked

    print(f"# maintain: {appends} appends of {args.rows} rows ({total} rows)")
    print(f"# {platform.platform()}, {os.cpu_count()} cpus, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "project"
        project.mkdir()
        (project / "lakebox.yaml").write_text("name: bench\nengine: {threads: 2}\n")
        with lakebox.open(project) as lh:
            load_seconds = _load(lh, appends, args.rows)
            print(f"# loaded in {load_seconds:.1f} s")
            files_before = _files(lh, "appended")
            before = _measure(lh, "appended", total, args.repeat)
            one_go = _measure(lh, "one_go", total, args.repeat)
            started = time.perf_counter()
            [result] = maintain_locked(lh, ["formatted.appended"])
            maintain_seconds = time.perf_counter() - started
            after = _measure(lh, "appended", total, args.repeat)
            files_after, files_one_go = _files(lh, "appended"), _files(lh, "one_go")
    print(f"# maintain took {maintain_seconds:.2f} s: {result.describe()}")
    print()
    print(
        f"| query | appended, before (s) | appended, after (s) | one go (s) | before/one go "
        f"| after/one go | target ≤ {TARGET}x |"
    )
    print("|---|---|---|---|---|---|---|")
    missed = 0
    for label in QUERIES:
        ratio_before, ratio_after = before[label] / one_go[label], after[label] / one_go[label]
        ok = ratio_after <= TARGET
        missed += not ok
        print(
            f"| {label} | {before[label]:.4f} | {after[label]:.4f} | {one_go[label]:.4f} "
            f"| {ratio_before:.2f}x | {ratio_after:.2f}x | {'met' if ok else 'MISSED'} |"
        )
    bounded = files_after <= files_one_go + 1
    print(
        f"| data files | {files_before} | {files_after} | {files_one_go} | | | "
        f"{'bounded' if bounded else 'NOT bounded'} |"
    )
    return 0 if not missed and bounded else 1


if __name__ == "__main__":
    raise SystemExit(main())
