"""Serving benchmark: lakebox's pg-wire endpoint against PostgreSQL 15, same psycopg client.

Run from the repository root (see benchmarks/README.md):

    .venv/bin/python benchmarks/serving.py             # 1M rows
    .venv/bin/python benchmarks/serving.py --quick     # 100k rows, fewer repeats: a smoke run

The same rows are made on both sides by the same generator expression (an id, a timestamp, a
store code, an amount, a quantity, a day): in lakebox as the model `exploitation.events`
(a fresh project under benchmarks/out/serving-project), in PostgreSQL as `public.events` of a
scratch database `lakebox_bench` (dropped and re-created). lakebox's server runs in a child
process of its own, so the clients here do not share its interpreter.

Measured, each side by side (median of --repeat runs):
  - full scan: `SELECT * FROM events`, fetched whole by psycopg, in text and in binary;
  - GROUP BY: per store, count, sum and average (text);
  - throughput: one client running the GROUP BY back to back, then 8 clients at once (each
    in a process of its own), queries per second;
  - a short query's latency alone, and while another client runs a long full scan.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=lakebox_bench"
ROWS_SQL = """
SELECT i::BIGINT AS id,
       TIMESTAMP '2024-01-01 00:00:00' + i * INTERVAL '3 seconds' AS ts,
       'S' || lpad((i % 50)::VARCHAR, 3, '0') AS store,
       ((i % 10000) / 4.0)::DOUBLE PRECISION AS amount,
       (i % 97)::INTEGER AS qty,
       DATE '2024-01-01' + (i % 365)::INTEGER AS day
FROM {source}
"""
SCAN = "SELECT * FROM events"
GROUP = "SELECT store, count(*), sum(amount), avg(qty) FROM events GROUP BY store ORDER BY store"
SHORT = "SELECT id, store, amount FROM events WHERE id = 4242"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput run")
    parser.add_argument("--quick", action="store_true", help="100k rows, one repeat, 2 s runs")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.repeat, args.seconds = min(args.rows, 100_000), 1, 2.0
    print(f"rows: {args.rows:,}  repeat: {args.repeat}  clients: {args.clients}", flush=True)
    make_postgres(args.rows)
    port, server = start_lakebox(args.rows)
    try:
        lakebox = f"host=127.0.0.1 port={port} user=bench dbname=lakebox"
        report(measure(PG_DSN, args), measure(lakebox, args))
    finally:
        server.terminate()
        server.join()


# -- the two servers ---------------------------------------------------------------------


def make_postgres(rows: int) -> None:
    import psycopg

    started = time.monotonic()
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS lakebox_bench")
        admin.execute("CREATE DATABASE lakebox_bench")
    source = f"generate_series(0, {rows - 1}) AS g(i)"
    with psycopg.connect(PG_DSN, autocommit=True) as con:
        con.execute("CREATE TABLE events AS " + ROWS_SQL.format(source=source))
        con.execute("VACUUM ANALYZE events")
    print(f"PostgreSQL: {rows:,} rows in {time.monotonic() - started:.1f} s", flush=True)


def start_lakebox(rows: int) -> tuple[int, mp.Process]:
    ready: mp.Queue[int] = mp.get_context("spawn").Queue()
    process = mp.get_context("spawn").Process(target=serve, args=(rows, ready), daemon=True)
    process.start()
    return ready.get(timeout=600), process


def serve(rows: int, ready: mp.Queue[int]) -> None:
    import shutil

    import yaml

    import lakebox
    from lakebox.orchestration.runner import run
    from lakebox.serving.pgwire import PgServer

    started = time.monotonic()
    folder = OUT / "serving-project"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "models").mkdir(parents=True)
    document = {
        "name": "servingbench",
        "engine": {"memory_limit": "1GB"},
        "serve": {"max_result_bytes": "4GB", "max_concurrent_queries": 16},
    }
    (folder / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    model = ROWS_SQL.format(source=f"range({rows}) AS g(i)")
    (folder / "models" / "events.sql").write_text(model)
    lh = lakebox.open(folder)
    assert run(lh).ok
    print(f"lakebox: {rows:,} rows in {time.monotonic() - started:.1f} s", flush=True)
    server = PgServer(lh, port=0, row_limit=1_000_000, timeout=600)
    ready.put(server.port)
    server.serve_forever()


# -- the measures --------------------------------------------------------------------------


def measure(dsn: str, args: argparse.Namespace) -> dict[str, float]:
    import psycopg

    results: dict[str, float] = {}
    results["connect"] = best_of(5, lambda: psycopg.connect(dsn).close() or 0)
    with psycopg.connect(dsn, autocommit=True) as con:
        results["scan_text"] = best_of(args.repeat, lambda: fetch(con, SCAN, binary=False))
        results["scan_binary"] = best_of(args.repeat, lambda: fetch(con, SCAN, binary=True))
        results["group_by"] = best_of(max(args.repeat, 5), lambda: fetch(con, GROUP, False))
    results["qps_1"] = throughput(dsn, 1, args.seconds)
    results["qps_n"] = throughput(dsn, args.clients, args.seconds)
    results["short_alone"] = short_latency(dsn, None)
    results["short_during_long"] = short_latency(dsn, SCAN)
    return results


def fetch(con: object, sql: str, binary: bool) -> int:
    """Run `sql` on an open connection and fetch every row as Python values."""
    with con.cursor(binary=binary) as cur:  # type: ignore[attr-defined]
        cur.execute(sql)
        return len(cur.fetchall())


def best_of(times: int, work: Callable[[], int]) -> float:
    runs = []
    for _ in range(times):
        started = time.perf_counter()
        work()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def throughput(dsn: str, clients: int, seconds: float) -> float:
    context = mp.get_context("spawn")
    with context.Pool(clients) as pool:
        counts = pool.starmap(_client_loop, [(dsn, seconds)] * clients)
    return sum(counts) / seconds


def _client_loop(dsn: str, seconds: float) -> int:
    import psycopg

    done = 0
    with psycopg.connect(dsn, autocommit=True) as con:
        con.execute(GROUP).fetchall()  # warm
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            con.execute(GROUP).fetchall()
            done += 1
    return done


def short_latency(dsn: str, long_sql: str | None) -> float:
    """Return the median latency of the short query (run on a connection of its own), alone
    or while another process runs `long_sql` over and over."""
    import psycopg

    context = mp.get_context("spawn")
    stop = context.Event()
    long_runner = None
    if long_sql is not None:
        long_runner = context.Process(target=_long_loop, args=(dsn, long_sql, stop))
        long_runner.start()
        time.sleep(1.0)  # let it start
    runs = []
    with psycopg.connect(dsn, autocommit=True) as con:
        for _ in range(20):
            started = time.perf_counter()
            con.execute(SHORT).fetchall()
            runs.append(time.perf_counter() - started)
            time.sleep(0.05)
    stop.set()
    if long_runner is not None:
        long_runner.join()
    return statistics.median(runs)


def _long_loop(dsn: str, sql: str, stop: object) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as con:
        while not stop.is_set():  # type: ignore[attr-defined]
            con.execute(sql).fetchall()


# -- the report ------------------------------------------------------------------------------


ROWS = (
    ("connect", "connect + log in (s)", "lower"),
    ("scan_text", "full scan, text (s)", "lower"),
    ("scan_binary", "full scan, binary (s)", "lower"),
    ("group_by", "GROUP BY (s)", "lower"),
    ("qps_1", "GROUP BY q/s, 1 client", "higher"),
    ("qps_n", "GROUP BY q/s, N clients", "higher"),
    ("short_alone", "short query alone (s)", "lower"),
    ("short_during_long", "short query beside a long one (s)", "lower"),
)


def report(postgres: dict[str, float], lakebox: dict[str, float]) -> None:
    print()
    print(f"{'measure':<36}{'PostgreSQL 15':>15}{'lakebox':>12}{'lakebox gain':>15}")
    for key, label, better in ROWS:
        pg, lb = postgres[key], lakebox[key]
        gain = pg / lb if better == "lower" else lb / pg
        print(f"{label:<36}{pg:>15.4f}{lb:>12.4f}{gain:>14.2f}x")
    print()
    targets = (
        ("full scan text no slower than PostgreSQL", lakebox["scan_text"] <= postgres["scan_text"]),
        ("full scan binary no slower", lakebox["scan_binary"] <= postgres["scan_binary"]),
        ("GROUP BY >= 5x faster", postgres["group_by"] >= 5 * lakebox["group_by"]),
        ("N clients >= 1.6x one client", lakebox["qps_n"] >= 1.6 * lakebox["qps_1"]),
    )
    scaling = lakebox["qps_n"] / lakebox["qps_1"]
    held = lakebox["short_during_long"] / lakebox["short_alone"]
    print(f"lakebox: N clients / one client = {scaling:.2f}x")
    print(f"lakebox: short query beside a long one / alone = {held:.2f}x")
    for name, met in targets:
        print(f"  [{'met' if met else 'MISSED'}] {name}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
