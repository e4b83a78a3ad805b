"""Merge benchmark: a batch of changed keys merged into a keyed table, by lakebox, by
pyiceberg's `Table.upsert` and by delta-rs's (`deltalake`) `merge`, side by side.

Run from the repository root (see benchmarks/README.md):

    .venv/bin/python benchmarks/merge.py            # 100k changed keys into 1M and 10M rows
    .venv/bin/python benchmarks/merge.py --quick    # 10k into 100k and 1M rows, seconds

The same rows go to every contender. The table (`id` BIGINT key, a customer, an amount, a
time, the batch id) is written in key order, as rows that arrive over time are; then a change
batch is merged, each contender in a child process of its own:

  recent   half of the keys are updates of rows among the latest 2 x half keys, the other half
           new keys (rows that change are mostly recent ones: orders, tickets, sessions);
  spread   every key an update of a row picked uniformly over the whole table: the worst case
           for a rewrite by file, since every file holds a changed key (run on the smaller
           table only unless --spread-all).

Columns: merge s (the merge call alone: lakebox `tables.commit_batch`, `Table.upsert`,
`DeltaTable.merge(...).execute()`); cpu s (the CPU time of that call, every thread of the
child: the machine's load shows in merge s, much less here); total s (opening the catalog or
table, reading the batch where the contender takes Arrow, the merge); the data files the merge
removed / added / that the table holds after it. Building the table is timed apart (build s).
With --repeat N, each contender runs N times (a fresh table each time) and the run of median
merge s is shown.
Target: lakebox's merge of the recent batch ≤ 0.5 s at 1M rows, and ≤ 1.5x that at 10M.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out" / "merge"
CONTENDERS = ("lakebox", "pyiceberg", "deltalake")
TARGET_SECONDS = 0.5
TARGET_RATIO = 1.5

BASE_SQL = """
COPY (
    SELECT i AS id,
           'customer-' || lpad((hash(i) % 100000)::VARCHAR, 6, '0') AS customer,
           round((hash(i * 3) % 100000) / 100.0, 2) AS amount,
           TIMESTAMP '2026-01-01' + to_seconds(i) AS updated_at,
           'b0' AS _batch_id
    FROM range({rows}) AS t(i)
) TO '{path}' (FORMAT parquet)
"""
CHANGED = """
SELECT id, customer, amount + 1 AS amount, updated_at + INTERVAL 1 DAY AS updated_at,
       'b1' AS _batch_id
FROM read_parquet('{base}')
"""
RECENT_SQL = (
    "COPY ("
    + CHANGED
    + """ WHERE id >= {rows} - 2 * {half} AND hash(id) % 2 = 0
    UNION ALL
    SELECT i, 'customer-new', 1.0, TIMESTAMP '2026-06-01', 'b1'
    FROM range({rows}, {rows} + {half}) AS t(i)
) TO '{path}' (FORMAT parquet)"""
)
SPREAD_SQL = "COPY (" + CHANGED + " WHERE hash(id) % {every} = 0) TO '{path}' (FORMAT parquet)"


# --------------------------------------------------------------------------------------------
# The input files
# --------------------------------------------------------------------------------------------


def inputs(rows: int, changes: int, scenario: str) -> tuple[Path, Path]:
    """Write (once) the table's rows and the change batch; return their paths."""
    import duckdb

    OUT.mkdir(parents=True, exist_ok=True)
    base = OUT / f"base-{rows}.parquet"
    batch = OUT / f"{scenario}-{rows}-{changes}.parquet"
    with duckdb.connect() as db:
        if not base.exists():
            db.execute(BASE_SQL.format(rows=rows, path=base))
        if not batch.exists():
            sql = RECENT_SQL if scenario == "recent" else SPREAD_SQL
            db.execute(
                sql.format(
                    base=base, rows=rows, half=changes // 2, every=rows // changes, path=batch
                )
            )
    return base, batch


# --------------------------------------------------------------------------------------------
# The contenders (each runs in a child process: `--child NAME`)
# --------------------------------------------------------------------------------------------


def run_lakebox(base: Path, batch: Path, work: Path) -> dict[str, Any]:
    from lakebox import project
    from lakebox.catalog import TableRef
    from lakebox.lakehouse import open_project
    from lakebox.tables import commit_batch

    ref = TableRef("formatted", "orders")
    project.init(work, name="bench")
    started = time.perf_counter()
    with open_project(work) as lh:
        commit_batch(lh, ref, _copy(base, work), "b0", {}, ["id"])
    build = time.perf_counter() - started
    started = time.perf_counter()
    with open_project(work) as lh:
        merge_started, cpu_started = time.perf_counter(), time.process_time()
        commit_batch(lh, ref, _copy(batch, work), "b1", {}, ["id"])
        merge, cpu = time.perf_counter() - merge_started, time.process_time() - cpu_started
        total = time.perf_counter() - started
        summary = lh.catalog.load(ref).current_snapshot().summary
        rows = lh.query("SELECT count(*) AS n FROM formatted.orders").column(0)[0].as_py()
    return {
        "build": build,
        "merge": merge,
        "cpu": cpu,
        "total": total,
        "removed": int(summary["deleted-data-files"] or 0)
        if "deleted-data-files" in summary
        else 0,
        "added": int(summary["added-data-files"]) if "added-data-files" in summary else 0,
        "files": int(summary["total-data-files"]),
        "rows": rows,
    }


def run_pyiceberg(base: Path, batch: Path, work: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq
    from pyiceberg.catalog.sql import SqlCatalog

    def catalog() -> SqlCatalog:
        return SqlCatalog("bench", uri=f"sqlite:///{work}/catalog.db", warehouse=f"file://{work}")

    work.mkdir(parents=True)
    started = time.perf_counter()
    rows = pq.read_table(base)
    opened = catalog()
    opened.create_namespace("bench")
    opened.create_table("bench.orders", schema=rows.schema).append(rows)
    build = time.perf_counter() - started
    del rows
    started = time.perf_counter()
    table = catalog().load_table("bench.orders")
    changes = pq.read_table(batch)
    before = {snapshot.snapshot_id for snapshot in table.snapshots()}
    merge_started, cpu_started = time.perf_counter(), time.process_time()
    table.upsert(changes, join_cols=["id"])
    merge, cpu = time.perf_counter() - merge_started, time.process_time() - cpu_started
    total = time.perf_counter() - started
    table = table.refresh()
    made = [s.summary for s in table.snapshots() if s.snapshot_id not in before and s.summary]
    return {
        "build": build,
        "merge": merge,
        "cpu": cpu,
        "total": total,
        "removed": sum(int(s.get("deleted-data-files") or 0) for s in made),
        "added": sum(int(s.get("added-data-files") or 0) for s in made),
        "files": int(table.current_snapshot().summary["total-data-files"]),
        "rows": int(table.current_snapshot().summary["total-records"]),
    }


def run_deltalake(base: Path, batch: Path, work: Path) -> dict[str, Any]:
    import pyarrow.parquet as pq
    from deltalake import DeltaTable, write_deltalake

    started = time.perf_counter()
    write_deltalake(str(work), pq.read_table(base))
    build = time.perf_counter() - started
    started = time.perf_counter()
    table = DeltaTable(str(work))
    changes = pq.read_table(batch)
    merge_started, cpu_started = time.perf_counter(), time.process_time()
    metrics = (
        table.merge(changes, predicate="t.id = s.id", source_alias="s", target_alias="t")
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )
    merge, cpu = time.perf_counter() - merge_started, time.process_time() - cpu_started
    total = time.perf_counter() - started
    table = DeltaTable(str(work))
    return {
        "build": build,
        "merge": merge,
        "cpu": cpu,
        "total": total,
        "removed": metrics.get("num_target_files_removed", 0),
        "added": metrics.get("num_target_files_added", 0),
        "files": len(table.file_uris()),
        "rows": table.to_pyarrow_dataset().count_rows(),
    }


def _copy(path: Path, work: Path) -> Path:
    """Return a copy of `path` in the project (a commit may move its file)."""
    target = work / ".lakebox" / "tmp" / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    return target


RUNNERS = {"lakebox": run_lakebox, "pyiceberg": run_pyiceberg, "deltalake": run_deltalake}


def child_main(args: argparse.Namespace) -> None:
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    try:
        result = RUNNERS[args.child](Path(args.base), Path(args.batch), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


def run_repeated(name: str, base: Path, batch: Path, timeout: float, repeat: int) -> dict[str, Any]:
    """Run a contender `repeat` times; return the run with the median merge time."""
    runs = []
    for _ in range(repeat):
        result = run_child(name, base, batch, timeout)
        if "error" in result:
            return result
        runs.append(result)
    runs.sort(key=lambda run: run["merge"])
    return runs[len(runs) // 2]


def run_child(name: str, base: Path, batch: Path, timeout: float) -> dict[str, Any]:
    """Run one contender in a child process; return its result (or why there is none)."""
    command = [sys.executable, __file__, "--child", name, "--base", str(base)]
    command += ["--batch", str(batch), "--work", str(OUT / f"work-{name}")]
    environment = {**os.environ, "PYTHONWARNINGS": "ignore"}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=environment
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(OUT / f"work-{name}", ignore_errors=True)
        return {"error": f"over the {timeout:.0f} s limit"}
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": tail[:100]}
    return json.loads(lines[-1])


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def _row(name: str, result: dict[str, Any]) -> str:
    if "error" in result:
        return f"  {name:<10} {result['error']}"
    files = f"{result['removed']}/{result['added']}/{result['files']}"
    return (
        f"  {name:<10} {result['merge']:>8.3f} {result['cpu']:>8.3f} {result['total']:>8.3f} "
        f"{files:>14} {result['rows']:>11,} {result['build']:>8.2f}"
    )


def report_table(rows: int, changes: int, scenario: str, results: dict[str, Any]) -> None:
    print(f"\n{scenario}: {changes:,} changed keys into {rows:,} rows")
    print(
        f"  {'':<10} {'merge s':>8} {'cpu s':>8} {'total s':>8} {'files -/+/all':>14} "
        f"{'rows after':>11} {'build s':>8}"
    )
    for name, result in results.items():
        print(_row(name, result))
    counts = {result["rows"] for result in results.values() if "rows" in result}
    if len(counts) > 1:
        print(f"  ROW COUNTS DIFFER: {sorted(counts)}")


def report_targets(merges: dict[int, float], official: bool) -> None:
    """Print the lakebox targets for the recent batch: ≤ 0.5 s, then ≤ 1.5x at 10x rows
    (verdicts only for the sizes the targets are set for)."""
    sizes = sorted(merges)
    print("\ntargets (lakebox, recent):")
    first = merges[sizes[0]]
    print(
        f"  {sizes[0]:,} rows: merge {first:.3f} s (target ≤ {TARGET_SECONDS} s) "
        f"{_verdict(first <= TARGET_SECONDS, official)}"
    )
    for size in sizes[1:]:
        ratio = merges[size] / first
        print(
            f"  {size:,} rows: merge {merges[size]:.3f} s = {ratio:.2f}x the {sizes[0]:,}-row "
            f"merge (target ≤ {TARGET_RATIO}x) {_verdict(ratio <= TARGET_RATIO, official)}"
        )
    if not official:
        print("  (the targets are for 100,000 keys into 1,000,000 and 10,000,000 rows)")


def _verdict(met: bool, official: bool) -> str:
    if not official:
        return "-"
    return "met" if met else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10k keys into 100k and 1M rows")
    parser.add_argument("--rows", help="table sizes, comma-separated (default 1M,10M)")
    parser.add_argument("--changes", type=int, help="changed keys per batch (default 100k)")
    parser.add_argument("--spread-all", action="store_true", help="spread batch at every size")
    parser.add_argument("--only", help="contenders, comma-separated (default all three)")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per contender")
    parser.add_argument("--repeat", type=int, default=1, help="runs per contender (median)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--batch", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return
    default_rows = "100000,1000000" if args.quick else "1000000,10000000"
    sizes = [int(size) for size in (args.rows or default_rows).split(",")]
    changes = args.changes or (10_000 if args.quick else 100_000)
    names = args.only.split(",") if args.only else list(CONTENDERS)
    print(
        f"merge benchmark · {platform.machine()} · {os.cpu_count()} cores · "
        f"python {platform.python_version()} · load {os.getloadavg()[0]:.2f}"
    )
    merges: dict[int, float] = {}
    for size in sizes:
        for scenario in ("recent", "spread"):
            if scenario == "spread" and size != sizes[0] and not args.spread_all:
                continue
            base, batch = inputs(size, changes, scenario)
            results = {
                name: run_repeated(name, base, batch, args.timeout, args.repeat) for name in names
            }
            report_table(size, changes, scenario, results)
            if scenario == "recent" and "merge" in results.get("lakebox", {}):
                merges[size] = results["lakebox"]["merge"]
    if len(merges) == len(sizes):
        report_targets(merges, sizes == [1_000_000, 10_000_000] and changes == 100_000)
    print(f"\nload average after the run: {os.getloadavg()[0]:.2f} (2 cores shared by others)")


if __name__ == "__main__":
    main()
