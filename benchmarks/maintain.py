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
(1% of the ids). They run on `appended` before maintenance, after `maintain` with the
default settings (compaction and manifests; every snapshot is younger than the 7-day
retention, so none is expired), and after `maintain` once the appends are past the retention
(they stand for 1,000 hourly loads, 41 days: the benchmark passes `retention: 0` rather than
wait), beside `one_go`. The target: after maintenance, each query within 1.2x of `one_go`,
and the file count bounded (here: at most the files of `one_go` plus one).
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


def _best(lh, sqls: list[str], repeat: int) -> list[float]:
    """Return the best time of each of `sqls`, run in turn `repeat` times (interleaved, so a
    burst of load on the shared machine slows them alike)."""
    lh.refresh()
    best = [float("inf")] * len(sqls)
    for _ in range(repeat):
        for number, sql in enumerate(sqls):
            started = time.perf_counter()
            lh.engine.execute(sql).fetchall()
            best[number] = min(best[number], time.perf_counter() - started)
    return best


def _files(lh, name: str) -> int:
    from lakebox.catalog import TableRef

    table = lh.catalog.load(TableRef("formatted", name))
    return len(list(table.scan().plan_files()))


def _measure(lh, total: int, repeat: int) -> dict[str, tuple[float, float]]:
    """Return, per query, the best times on `appended` and on `one_go`."""
    low, high = total // 2, total // 2 + total // 100
    found = {}
    for label, sql in QUERIES.items():
        tables = ("formatted.appended", "formatted.one_go")
        pair = _best(lh, [sql.format(t=t, low=low, high=high) for t in tables], repeat)
        found[label] = (pair[0], pair[1])
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--appends", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1000, help="rows per append")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="100 appends: a smoke run")
    args = parser.parse_args()
    appends = 100 if args.quick else args.appends
    total = appends * args.rows

    import lakebox
    from lakebox.config.maintenance import MaintenanceConfig

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
            before = _measure(lh, total, args.repeat)
            compacted = _maintained(lh, None)
            after = _measure(lh, total, args.repeat)
            expired = _maintained(lh, MaintenanceConfig(retention=0))
            past = _measure(lh, total, args.repeat)
            files_after, files_one_go = _files(lh, "appended"), _files(lh, "one_go")
    print(f"# maintain (defaults) {compacted}")
    print(f"# maintain (retention 0) {expired}")
    print()
    return _table(before, after, past, (files_before, files_after, files_one_go))


def _maintained(lh, config) -> str:
    from lakebox.orchestration.maintenance import maintain_locked

    started = time.perf_counter()
    [result] = maintain_locked(lh, ["formatted.appended"], config=config)
    return f"took {time.perf_counter() - started:.2f} s: {result.describe()}"


def _table(before: dict, after: dict, past: dict, files: tuple[int, int, int]) -> int:
    """Print each phase's times of `appended` beside `one_go`'s, measured together."""
    print(
        "| query | phase | appended (s) | one go (s) | appended/one go | "
        f"target ≤ {TARGET}x after maintenance |"
    )
    print("|---|---|---|---|---|---|")
    missed = 0
    for label in QUERIES:
        phases = {"before": before, "after maintain": after, "after, past retention": past}
        for phase, found in phases.items():
            appended, one_go = found[label]
            ratio = appended / one_go
            verdict = "" if phase == "before" else ("met" if ratio <= TARGET else "MISSED")
            missed += verdict == "MISSED"
            print(
                f"| {label} | {phase} | {appended:.4f} | {one_go:.4f} | {ratio:.2f}x | {verdict} |"
            )
    bounded = files[1] <= files[2] + 1
    print(
        f"| data files | before → after | {files[0]} → {files[1]} | {files[2]} | | "
        f"{'bounded' if bounded else 'NOT bounded'} |"
    )
    return 0 if not missed and bounded else 1


if __name__ == "__main__":
    raise SystemExit(main())
