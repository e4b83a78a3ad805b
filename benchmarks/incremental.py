"""Incremental models benchmark: one new hour on a year of hourly sensor data, built
incrementally, against a full rebuild of the same models on the same data.

Run from the repository root (see benchmarks/README.md):

    .venv/bin/python benchmarks/incremental.py            # 1,000 sensors x 8,760 hours (8.76M rows)
    .venv/bin/python benchmarks/incremental.py --quick    # 10 sensors: a smoke run, seconds
    .venv/bin/python benchmarks/incremental.py --hours 5  # the median over 5 new hours
    .venv/bin/python benchmarks/incremental.py --sensors 100   # 876k rows

A fresh project under benchmarks/out/incremental has one source, `readings` (sensor, ts,
visitors; one CSV per month of 2024), and three incremental models shaped as the demo's
traffic models: `sensor_hourly` (time_range on hour, reading ts within the range),
`sensor_daily` (time_range on day, over sensor_hourly) and `sensor_hourly_deviation` (each
hour against the same weekday-hour of the 4 weeks before: time_range, lookback 28 days). The
first run lands, formats and builds everything. Then, for each new hour: its CSV is ingested
(not timed: that is ingest's cost, not the models'), the models are built (incremental,
timed), and the same models are rebuilt in full on the same data (`force`, i.e.
`--full-refresh`, timed); the tables of both builds are compared row for row.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import time
from pathlib import Path

import duckdb
import yaml

import lakebox
from lakebox.exploitation import builder
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.runner import ingest, run

OUT = Path(__file__).resolve().parent / "out" / "incremental"
TARGET = 0.05
MODELS = {
    "sensor_hourly": (
        "SELECT sensor, date_trunc('hour', ts) AS hour, sum(visitors)::BIGINT AS visitors,\n"
        "    count(*) AS readings\nFROM formatted.readings\n"
        "WHERE ts BETWEEN @start AND @end + INTERVAL 1 HOUR\nGROUP BY ALL",
        {"by": "time_range", "time": "hour"},
    ),
    "sensor_daily": (
        "SELECT sensor, hour::DATE AS day, sum(visitors)::BIGINT AS visitors, count(*) AS hours\n"
        "FROM exploitation.sensor_hourly\n"
        "WHERE hour >= @start AND hour < @end + INTERVAL 1 DAY\nGROUP BY ALL",
        {"by": "time_range", "time": "day"},
    ),
    "sensor_hourly_deviation": (
        "SELECT sensor, hour, visitors,\n"
        "    avg(visitors) OVER weeks AS baseline, count(*) OVER weeks AS weeks\n"
        "FROM exploitation.sensor_hourly\n"
        "WHERE hour BETWEEN @start - INTERVAL 28 DAYS AND @end\n"
        "WINDOW weeks AS (PARTITION BY sensor, isodow(hour), hour(hour) ORDER BY hour\n"
        "    RANGE BETWEEN INTERVAL 28 DAYS PRECEDING AND INTERVAL 1 DAY PRECEDING)",
        {"by": "time_range", "time": "hour", "lookback": "28 days"},
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensors", type=int, default=1000)
    parser.add_argument("--hours", type=int, default=3, help="new hours, one build each")
    parser.add_argument("--quick", action="store_true", help="10 sensors, 1 new hour")
    options = parser.parse_args()
    if options.quick:
        options.sensors, options.hours = 10, 1
    logging.basicConfig(level=logging.WARNING)
    project = _project(options.sensors)
    with lakebox.open(project) as lh:
        started = time.monotonic()
        run(lh)
        print(
            f"year of data: {options.sensors} sensors x 8,760 hours "
            f"({options.sensors * 8760:,} rows), first run {time.monotonic() - started:.1f} s"
        )
        rounds = [_round(lh, options.sensors, hour) for hour in range(options.hours)]
    _print(rounds)


def _project(sensors: int) -> Path:
    shutil.rmtree(OUT, ignore_errors=True)
    (OUT / "in").mkdir(parents=True)
    document = {
        "name": "incremental-bench",
        "engine": {"memory_limit": "1GB", "threads": 2},
        "sources": {"readings": {"path": str(OUT / "in"), "format": "csv"}},
    }
    (OUT / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    (OUT / "models").mkdir()
    for name, (sql, rule) in MODELS.items():
        (OUT / "models" / f"{name}.sql").write_text(sql + "\n")
        (OUT / "models" / f"{name}.yaml").write_text(yaml.safe_dump({"incremental": rule}))
    with duckdb.connect() as connection:
        for month in range(1, 13):
            start = f"TIMESTAMP '2024-{month:02d}-01'"
            _hours(connection, sensors, start, f"{start} + INTERVAL 1 MONTH", f"2024-{month:02d}")
    return OUT


def _hours(
    connection: duckdb.DuckDBPyConnection, sensors: int, start: str, end: str, name: str
) -> None:
    """Write the readings of every sensor for each hour in [start, end) to in/<name>.csv."""
    path = OUT / "in" / f"{name}.csv"
    connection.execute(
        "COPY (SELECT 'S' || lpad(s::VARCHAR, 4, '0') AS sensor, "
        "strftime(h, '%Y-%m-%d %H:%M:%S') AS ts, (hash(s, h) % 200)::INTEGER AS visitors "
        f"FROM range({sensors}) r(s), range({start}, {end}, INTERVAL 1 HOUR) t(h)) "
        f"TO '{path}' (HEADER)"
    )


def _round(lh: Lakehouse, sensors: int, hour: int) -> dict[str, dict[str, float]]:
    """Add new hour `hour` (of 2025-01-01), build incrementally, then in full; return each
    model's seconds by build kind, after checking both builds gave the same tables."""
    start = f"TIMESTAMP '2025-01-01' + INTERVAL {hour} HOUR"
    with duckdb.connect() as connection:
        _hours(connection, sensors, start, f"{start} + INTERVAL 1 HOUR", f"new-{hour}")
    ingest(lh)
    times: dict[str, dict[str, float]] = {}
    incremental = _timed(lh, f"bench-inc-{hour}", False, times, "incremental")
    kept = {name: lh.query(f"SELECT * FROM exploitation.{name}") for name in MODELS}
    _timed(lh, f"bench-full-{hour}", True, times, "full")
    for name, table in kept.items():
        full = lh.query(f"SELECT * FROM exploitation.{name}")
        if table.sort_by(_order(name)) != full.sort_by(_order(name)):
            raise SystemExit(f"{name}: the incremental build differs from the full rebuild")
    modes = {result.model: result.mode for result in incremental}
    if set(modes.values()) != {"incremental"}:
        raise SystemExit(f"not every model was built incrementally: {modes}")
    return times


def _order(name: str) -> list[tuple[str, str]]:
    time = "day" if name == "sensor_daily" else "hour"
    return [("sensor", "ascending"), (time, "ascending")]


def _timed(
    lh: Lakehouse, run_id: str, force: bool, times: dict[str, dict[str, float]], kind: str
) -> list[builder.BuildResult]:
    started = time.perf_counter()
    results = builder.build(lh, run_id, force=force)
    times.setdefault("all models (wall)", {})[kind] = time.perf_counter() - started
    for result in results:
        if result.status != "built":
            raise SystemExit(f"{result.model}: {result.status} {result.error or ''}")
        times.setdefault(result.model, {})[kind] = result.seconds
    return results


def _print(rounds: list[dict[str, dict[str, float]]]) -> None:
    print(f"\nmedian over {len(rounds)} new hour(s); target: incremental <= {TARGET:.0%} of full")
    print(f"{'model':<26} {'full s':>8} {'incremental s':>14} {'ratio':>7}  target")
    for name in rounds[0]:
        full = statistics.median(r[name]["full"] for r in rounds)
        inc = statistics.median(r[name]["incremental"] for r in rounds)
        ratio = inc / full if full else float("nan")
        verdict = "met" if ratio <= TARGET else "MISSED"
        print(f"{name:<26} {full:>8.3f} {inc:>14.3f} {ratio:>7.1%}  {verdict}")
    print("tables: the incremental builds equal the full rebuilds (checked every round)")


if __name__ == "__main__":
    main()
