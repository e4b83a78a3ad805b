"""Extract benchmark: a PostgreSQL table into analysis-ready storage, three ways side by side.

Run from the repository root (see benchmarks/README.md):

    .venv/bin/python benchmarks/extract_db.py                  # 5M rows
    .venv/bin/python benchmarks/extract_db.py --rows 500000    # smoke run
    .venv/bin/python benchmarks/extract_db.py --postgres-url postgresql://me@host:5432/db --drop

The table `lakebox_bench_extract` is created (server-side, `generate_series`) when it is absent
or does not hold --rows rows, and kept afterwards unless --drop. Each contender then runs in its
own child process (this script with the hidden --contender flag); the parent polls the child's
RSS (children included) every 10 ms and times the whole process:

  lakebox: a throwaway project with one `kind: postgres` source (a full pull of the table) and
           `engine.memory_limit: 1GB`, then `orchestration.runner.ingest`; its `land` and
           `format_pending` calls are timed one by one. The parent counts `formatted.events`.
  floor:   psycopg2 `COPY (SELECT * FROM t) TO STDOUT (FORMAT csv)` into a file, then DuckDB
           `read_csv` (explicit column types) → Parquet (zstd).
  pandas:  `pandas.read_sql("SELECT * FROM t", sqlalchemy_engine)` → `DataFrame.to_parquet`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TABLE = "lakebox_bench_extract"
OUT = Path(__file__).resolve().parent / "out"
STATEMENTS_LOG = OUT / "extract-lakebox-statements.log"
DEFAULT_ROWS = 5_000_000
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
URL_ENV = "LAKEBOX_BENCH_POSTGRES_URL"
LAKEBOX_MEMORY_LIMIT = "1GB"
POLL_SECONDS = 0.01
MB = 1024 * 1024
CONTENDERS = ("lakebox", "floor", "pandas")
# DuckDB's types for the table's columns, in order (the floor's read_csv takes them explicitly).
COLUMN_TYPES = {
    "id": "BIGINT",
    "updated_at": "TIMESTAMP",
    "customer": "VARCHAR",
    "category": "VARCHAR",
    "qty": "INTEGER",
    "amount": "DECIMAL(12,2)",
    "note": "VARCHAR",
}

CREATE_SQL = f"""
CREATE TABLE {TABLE} (
    id bigint PRIMARY KEY, updated_at timestamp, customer varchar(64), category varchar(32),
    qty integer, amount numeric(12,2), note text)
"""
# psycopg2 formats the statement with the row count: a literal percent sign is written %%.
FILL_SQL = f"""
INSERT INTO {TABLE}
SELECT g,
       timestamp '2024-01-01' + g * interval '1 second',
       'customer_' || (g %% 100000),
       (ARRAY['books', 'games', 'music', 'tools'])[1 + g %% 4],
       (g %% 1000)::int,
       ((g * 7919) %% 10000000) / 100.0,
       CASE WHEN g %% 10 = 0 THEN NULL ELSE md5(g::text) END
FROM generate_series(1::bigint, %s) AS g
"""


# --------------------------------------------------------------------------------------------
# The source table
# --------------------------------------------------------------------------------------------


def libpq_url(url: str) -> str:
    """Return a SQLAlchemy-style URL (`postgresql+psycopg2://`) as the URI libpq accepts."""
    scheme, separator, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{separator}{rest}"


def sqlalchemy_url(url: str) -> str:
    """Return the URL with psycopg2 named as the driver (SQLAlchemy 2.1 defaults to psycopg 3)."""
    scheme, separator, rest = url.partition("://")
    return url if "+" in scheme else f"{scheme}+psycopg2{separator}{rest}"


def ensure_table(url: str, rows: int) -> str:
    """Create and fill the table unless it holds `rows` rows already; return what was done."""
    import psycopg2

    connection = psycopg2.connect(libpq_url(url))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            if _row_count(cursor) == rows:
                return f"reused {TABLE} ({rows:,} rows)"
            started = time.perf_counter()
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
            cursor.execute(CREATE_SQL)
            cursor.execute(FILL_SQL, (rows,))
            # frozen and analysed now, so no contender pays for setting hint bits on first read
            cursor.execute(f"VACUUM (FREEZE, ANALYZE) {TABLE}")
            return f"created {TABLE} ({rows:,} rows) in {time.perf_counter() - started:.1f} s"
    finally:
        connection.close()


def _row_count(cursor: Any) -> int | None:
    """Return the table's row count (the scan also warms the cache), or None when absent."""
    cursor.execute("SELECT to_regclass(%s)", (TABLE,))
    if cursor.fetchone()[0] is None:
        return None
    cursor.execute(f"SELECT count(*) FROM {TABLE}")
    return int(cursor.fetchone()[0])


def server_facts(url: str) -> dict[str, Any]:
    """Return the PostgreSQL version and the table's size on disk."""
    import psycopg2

    connection = psycopg2.connect(libpq_url(url))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            cursor.execute("SELECT pg_total_relation_size(%s)", (TABLE,))
            size = int(cursor.fetchone()[0])
    finally:
        connection.close()
    return {"version": version, "table_mb": size / MB}


def drop_table(url: str) -> None:
    import psycopg2

    connection = psycopg2.connect(libpq_url(url))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
    connection.close()


# --------------------------------------------------------------------------------------------
# Contenders (each runs in a child process; returns its facts, "rows" among them)
# --------------------------------------------------------------------------------------------


def run_lakebox(url: str, work: Path) -> dict[str, Any]:
    """Ingest the table into a fresh lakebox project under `work`; time land and format."""
    import yaml

    import lakebox
    from lakebox.orchestration import runner

    project_dir = work / "lakebox-project"
    project_dir.mkdir()
    document = {
        "name": "bench-extract",
        "engine": {"memory_limit": LAKEBOX_MEMORY_LIMIT},
        "sources": {"events": {"kind": "postgres", "url": url, "table": f"public.{TABLE}"}},
    }
    (project_dir / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    stages: dict[str, float] = {}
    statements: list[tuple[float, str]] = []
    runner.land = _timed(runner.land, stages, "land")
    runner.format_pending = _timed(runner.format_pending, stages, "format_pending")
    started = time.perf_counter()
    with lakebox.open(project_dir) as lh:
        stages["open"] = time.perf_counter() - started
        lh.engine.execute = _logged(lh.engine.execute, statements)
        report = runner.ingest(lh)
    seconds = time.perf_counter() - started
    OUT.mkdir(exist_ok=True)
    STATEMENTS_LOG.write_text("".join(f"{s:8.3f}  {sql}\n" for s, sql in statements))
    if not report.ok:
        raise SystemExit(f"lakebox ingest failed: {report}")
    landed = [entry for item in report.landing for entry in item.landed]
    formatted = [vars(result.counts) for result in report.formatting]
    return {
        "work_seconds": seconds,
        "rows": sum(counts.get("rows_formatted", 0) for counts in formatted),
        "stages": stages,
        "landed_mb": sum(entry.bytes or 0 for entry in landed) / MB,
        "counts": formatted,
        "statements": [[round(s, 2), sql[:110]] for s, sql in sorted(statements, reverse=True)[:8]],
    }


def _timed(function: Callable[..., Any], stages: dict[str, float], name: str) -> Callable:
    """Return `function`, adding the seconds of each call to `stages[name]`."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            stages[name] = stages.get(name, 0.0) + time.perf_counter() - started

    return timed


def _logged(execute: Callable[..., Any], statements: list[tuple[float, str]]) -> Callable:
    """Return the engine's `execute`, recording each statement's seconds and opening words."""

    def logged(sql: str, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, *args, **kwargs)
        finally:
            statements.append((time.perf_counter() - started, " ".join(sql.split())))

    return logged


def run_floor(url: str, work: Path) -> dict[str, Any]:
    """COPY the table out as CSV, then DuckDB reads it (explicit types) and writes Parquet."""
    import duckdb
    import psycopg2

    csv_path, parquet_path = work / "floor.csv", work / "floor.parquet"
    started = time.perf_counter()
    connection = psycopg2.connect(libpq_url(url))
    with connection.cursor() as cursor, csv_path.open("wb") as sink:
        cursor.copy_expert(f"COPY (SELECT * FROM {TABLE}) TO STDOUT (FORMAT csv)", sink, 1 << 20)
    connection.close()
    copied = time.perf_counter()
    columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMN_TYPES.items()) + "}"
    with duckdb.connect() as duck:
        duck.execute(
            f"COPY (FROM read_csv('{csv_path}', header = false, columns = {columns}, "
            "allow_quoted_nulls = false)) "
            f"TO '{parquet_path}' (FORMAT parquet, COMPRESSION zstd)"
        )
        rows = duck.execute(f"SELECT count(*) FROM '{parquet_path}'").fetchone()[0]
    done = time.perf_counter()
    return {
        "work_seconds": done - started,
        "rows": int(rows),
        "stages": {"COPY → csv": copied - started, "DuckDB csv → parquet": done - copied},
        "csv_mb": csv_path.stat().st_size / MB,
        "parquet_mb": parquet_path.stat().st_size / MB,
    }


def run_pandas(url: str, work: Path) -> dict[str, Any]:
    """pandas.read_sql through SQLAlchemy (all rows in memory), then DataFrame.to_parquet."""
    import pandas as pd
    import sqlalchemy as sa

    parquet_path = work / "pandas.parquet"
    started = time.perf_counter()
    engine = sa.create_engine(sqlalchemy_url(url))
    frame = pd.read_sql(f"SELECT * FROM {TABLE}", engine)
    read = time.perf_counter()
    frame.to_parquet(parquet_path, index=False)
    done = time.perf_counter()
    engine.dispose()
    return {
        "work_seconds": done - started,
        "rows": len(frame),
        "stages": {"read_sql": read - started, "to_parquet": done - read},
        "parquet_mb": parquet_path.stat().st_size / MB,
    }


RUNNERS: dict[str, Callable[[str, Path], dict[str, Any]]] = {
    "lakebox": run_lakebox,
    "floor": run_floor,
    "pandas": run_pandas,
}


def child(name: str, url: str, work: Path, result_path: Path) -> None:
    result = RUNNERS[name](url, work)
    result_path.write_text(json.dumps(result, default=str))


# --------------------------------------------------------------------------------------------
# The parent: one child per contender, RSS polled
# --------------------------------------------------------------------------------------------


def run_child(name: str, url: str, work: Path) -> dict[str, Any]:
    """Run one contender in a child process; return its facts plus wall seconds and peak RSS."""
    result_path, log_path = work / f"result-{name}.json", work / f"child-{name}.log"
    command = [sys.executable, __file__, "--contender", name, "--postgres-url", url]
    command += ["--work", str(work), "--result", str(result_path)]
    os.sync()  # the previous contender's dirty pages are not written during this one
    busy_before, child_before = machine_cpu_seconds(), children_cpu_seconds()
    with log_path.open("w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        peak = poll_peak_rss(process)
        wall = time.perf_counter() - started
    child_cpu = children_cpu_seconds() - child_before
    cpu = {"child": child_cpu, "rest": machine_cpu_seconds() - busy_before - child_cpu}
    if process.returncode != 0 or not result_path.exists():
        tail = log_path.read_text().strip().splitlines()[-5:]
        return {"error": f"exit {process.returncode}: " + " | ".join(tail), "wall": wall}
    return {**json.loads(result_path.read_text()), "wall": wall, "rss_mb": peak / MB, "cpu": cpu}


def machine_cpu_seconds() -> float:
    """Return the CPU seconds all processes have used since boot (from /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """Return the CPU seconds of this process's finished (waited-for) children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def poll_peak_rss(process: subprocess.Popen) -> int:
    """Return the highest RSS of `process` and its children, sampled until it exits."""
    import psutil

    watched = psutil.Process(process.pid)
    family: list[psutil.Process] = [watched]
    peak, tick = 0, 0
    while process.poll() is None:
        if tick % 10 == 0:  # listing the children scans /proc: not every tick
            with contextlib.suppress(psutil.Error):
                family = [watched, *watched.children(recursive=True)]
        peak = max(peak, sum(_rss(member) for member in family))
        tick += 1
        time.sleep(POLL_SECONDS)
    return peak


def _rss(process: Any) -> int:
    import psutil

    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0


def verify_lakebox(work: Path) -> int:
    """Return the row count of the lakebox run's `formatted.events` (read in the parent)."""
    import lakebox

    with lakebox.open(work / "lakebox-project") as lh:
        return int(lh.query("SELECT count(*) AS n FROM formatted.events").to_pylist()[0]["n"])


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def machine_line(rows: int, facts: dict[str, Any]) -> str:
    import duckdb
    import pandas
    import psutil

    ram = psutil.virtual_memory().total / 1024**3
    return (
        f"{rows:,} rows ({facts['table_mb']:,.0f} MB in PostgreSQL {facts['version']}); "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {ram:.1f} GiB RAM; "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
        f"pandas {pandas.__version__}"
    )


def print_table(results: dict[str, dict[str, Any]]) -> None:
    base = _rate(results.get("lakebox", {}))
    print("| contender | seconds | rows/s | peak RSS MB | × lakebox |")
    print("|---|---:|---:|---:|---:|")
    for name, result in results.items():
        if "error" in result:
            print(f"| {name} | failed: {result['error'][:150]} | | | |")
            continue
        rate = _rate(result)
        ratio = f"{rate / base:.2f}" if base else "–"
        print(
            f"| {name} | {result['wall']:.1f} | {rate:,.0f} | {result['rss_mb']:,.0f} | {ratio} |"
        )


def _rate(result: dict[str, Any]) -> float:
    if "error" in result or not result.get("wall"):
        return 0.0
    return result["rows"] / result["wall"]


def print_details(results: dict[str, dict[str, Any]], rows: int) -> None:
    print()
    for name, result in results.items():
        if "error" in result:
            continue
        stages = ", ".join(f"{stage} {s:.1f} s" for stage, s in result["stages"].items())
        check = "ok" if result["rows"] == rows else f"EXPECTED {rows:,}"
        cpu = result["cpu"]
        print(
            f"- {name}: {result['rows']:,} rows ({check}); "
            f"in the child {result['work_seconds']:.1f} s: {stages}; CPU s: the child "
            f"{cpu['child']:.1f}, the rest of the machine {cpu['rest']:.1f} (PostgreSQL included)"
        )
    lakebox_result = results.get("lakebox", {})
    if "error" not in lakebox_result and "statements" in lakebox_result:
        table_rows = lakebox_result["table_rows"]
        check = "ok" if table_rows == rows else f"EXPECTED {rows:,}"
        print(f"- lakebox table check: formatted.events holds {table_rows:,} rows ({check})")
        print(f"- lakebox landed Parquet: {lakebox_result['landed_mb']:,.0f} MB")
        print(f"- lakebox's slowest SQL statements (s; all of them in {STATEMENTS_LOG}):")
        for seconds, sql in lakebox_result["statements"]:
            print(f"    {seconds:7.2f}  {sql}")


def print_ratios(results: dict[str, dict[str, Any]]) -> None:
    base = _rate(results.get("lakebox", {}))
    print()
    for other in ("floor", "pandas"):
        rate = _rate(results.get(other, {}))
        if base and rate:
            print(f"lakebox/{other} throughput: {base / rate:.2f}")


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows in the table")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(URL_ENV, DEFAULT_URL),
        help=f"PostgreSQL URL (default: ${URL_ENV}, else {DEFAULT_URL})",
    )
    parser.add_argument(
        "--only", default=",".join(CONTENDERS), help="contenders to run, comma-separated"
    )
    keeping = parser.add_mutually_exclusive_group()
    keeping.add_argument(
        "--keep", action="store_true", default=True, help="keep the table (the default)"
    )
    keeping.add_argument("--drop", action="store_true", help="drop the table at the end")
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.contender:
        child(args.contender, args.postgres_url, args.work, args.result)
        return
    names = [name for name in args.only.split(",") if name]
    print(ensure_table(args.postgres_url, args.rows), flush=True)
    facts = server_facts(args.postgres_url)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="lakebox-extract-") as folder:
        for name in names:
            work = Path(folder) / name
            work.mkdir()
            results[name] = run_child(name, args.postgres_url, work)
            if name == "lakebox" and "error" not in results[name]:
                results[name]["table_rows"] = verify_lakebox(work)
            print(f"{name}: {results[name].get('wall', 0):.1f} s", flush=True)
    print()
    print(f"PostgreSQL table → Parquet, {machine_line(args.rows, facts)}")
    print()
    print_table(results)
    print_details(results, args.rows)
    print_ratios(results)
    if args.drop:
        drop_table(args.postgres_url)
        print(f"dropped {TABLE}")


if __name__ == "__main__":
    main()
