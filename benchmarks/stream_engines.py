"""Stream engines benchmark: the same windowed stream logic in DuckDB, pyarrow and a per-event loop.

Run from the repository root (see benchmarks/README.md):

    .venv/bin/python benchmarks/stream_engines.py                  # 1M events, 10k per batch
    .venv/bin/python benchmarks/stream_engines.py --batch 1000     # smaller micro-batches
    .venv/bin/python benchmarks/stream_engines.py --events 100000  # smoke run, seconds
    .venv/bin/python benchmarks/stream_engines.py --repeat 3 --duckdb-threads 1

Issue 15 asks that the stream engine be chosen by measurement. This script generates one
deterministic stream of air-quality readings (1,000 devices, about one event a second each,
some out of order, a few later than the allowed lateness) and delivers it as Arrow record
batches in arrival order. Three engines process it batch by batch, carrying their state from
one batch to the next:

- (a) DuckDB: each batch is registered and one SQL script aggregates it and merges the result
  into state tables;
- (b) pyarrow: `Table.group_by().aggregate` for the windows, vectorised numpy for the watermark,
  the moving averages and the alert runs;
- (c) a pure-Python loop over one dict per event, the model of per-event stream frameworks such
  as Quix Streams (which is not installed here, so it is not measured itself).

The logic, per device: 1-minute tumbling windows in event time (count, mean and max of pm25,
mean of co2); a watermark, the largest event time seen so far minus the allowed lateness; an
event older than the watermark when it arrives is late (counted, not applied); a window is
emitted once, when the watermark reaches its end; a simple moving average of the pm25 mean over
the device's last 5 closed windows; an alert when pm25 > 35 for 3 events in a row (in arrival
order, late events skipped), emitted once per incident and resolved by the next event <= 35.

Each engine runs in its own child process (this script with the hidden `--only`), so its peak
RSS is its own; the parent then checks that the three produced the same windows, moving averages,
alerts and late counts, and exits 1 if they did not.
"""

from __future__ import annotations

import argparse
import gc
import math
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

WINDOW_US = 60_000_000
THRESHOLD = 35.0
RUN_LENGTH = 3
SMA_WINDOWS = 5
START_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
ENGINES = ("python", "pyarrow", "duckdb")
LABELS = {
    "python": "(c) Python per-event loop",
    "pyarrow": "(b) pyarrow compute",
    "duckdb": "(a) DuckDB SQL",
}
SCHEMA = pa.schema(
    [
        ("offset", pa.int64()),
        ("device_id", pa.string()),
        ("ts", pa.timestamp("us", tz="UTC")),
        ("pm25", pa.float64()),
        ("co2", pa.float64()),
    ]
)


# --- the stream ------------------------------------------------------------------------------


def generate(events: int, devices: int, seed: int = 15) -> pa.Table:
    """Return `events` readings in arrival order, the same for the same arguments.

    Each second every device sends once, in a shuffled order. The event time is the arrival
    time minus a delay: under 0.5 s for most events, 1-8 s for 2% (out of order, within the
    lateness) and 12-30 s for 0.2% (late). pm25 is a device's baseline plus noise, plus 40 in
    the 30-second spells (5% of them) when the device reads a spike; co2 is baseline plus noise.
    """
    rng = np.random.default_rng(seed)
    seconds = -(-events // devices)
    order = rng.permuted(np.tile(np.arange(devices), (seconds, 1)), axis=1).ravel()[:events]
    arrival_us = START_US + np.arange(events, dtype=np.int64) * 1_000_000 // devices
    delay = rng.uniform(0.0, 0.5, events)
    draw = rng.random(events)
    delay = np.where(draw < 0.02, rng.uniform(1.0, 8.0, events), delay)
    delay = np.where(draw < 0.002, rng.uniform(12.0, 30.0, events), delay)
    ts = arrival_us - (delay * 1_000_000).astype(np.int64)
    spell = (arrival_us - START_US) // 30_000_000
    spikes = rng.random((devices, int(spell.max()) + 1)) < 0.05
    pm25 = rng.uniform(5.0, 25.0, devices)[order] + rng.normal(0.0, 6.0, events)
    pm25 = np.round(np.clip(pm25 + 40.0 * spikes[order, spell], 0.0, None), 2)
    co2 = np.round(rng.uniform(420.0, 900.0, devices)[order] + rng.normal(0.0, 30.0, events), 1)
    names = pa.array([f"dev-{i:04d}" for i in range(devices)])
    return pa.table(
        [
            pa.array(np.arange(events, dtype=np.int64)),
            pc.take(names, pa.array(order)),
            pa.array(ts, pa.timestamp("us", tz="UTC")),
            pa.array(pm25),
            pa.array(co2),
        ],
        schema=SCHEMA,
    )


def batches(table: pa.Table, size: int) -> list[pa.RecordBatch]:
    """Cut the stream into record batches of `size` events, in arrival order."""
    return [
        table.slice(i, size).combine_chunks().to_batches()[0] for i in range(0, len(table), size)
    ]


# --- (c) the per-event loop -------------------------------------------------------------------


def run_python(stream: list[pa.RecordBatch], lateness_us: int) -> dict[str, Any]:
    """One dict per event, state in dicts: what a per-event stream framework does."""
    open_windows: dict[int, dict[str, list[float]]] = {}
    history: dict[str, deque[float]] = {}
    runs: dict[str, int] = {}
    late: dict[str, int] = {}
    windows: list[tuple] = []
    sma: list[tuple] = []
    alerts: list[tuple] = []
    max_seen = -(2**62)
    watermark = max_seen - lateness_us
    earliest = 2**62  # the start of the earliest open window
    for batch in stream:
        records = batch.set_column(2, "ts", pc.cast(batch.column(2), pa.int64())).to_pylist()
        for event in records:
            device, t, pm25 = event["device_id"], event["ts"], event["pm25"]
            if t < watermark:
                late[device] = late.get(device, 0) + 1
                continue
            start = t - t % WINDOW_US
            window = open_windows.setdefault(start, {})
            acc = window.get(device)
            if acc is None:
                window[device] = [1, pm25, pm25, event["co2"]]
            else:
                acc[0] += 1
                acc[1] += pm25
                if pm25 > acc[2]:
                    acc[2] = pm25
                acc[3] += event["co2"]
            run = runs.get(device, 0)
            if pm25 > THRESHOLD:
                run += 1
                if run == RUN_LENGTH:
                    alerts.append((device, event["offset"], "open"))
            else:
                if run >= RUN_LENGTH:
                    alerts.append((device, event["offset"], "resolved"))
                run = 0
            runs[device] = run
            if start < earliest:
                earliest = start
            if t > max_seen:
                max_seen = t
                watermark = t - lateness_us
                if earliest + WINDOW_US > watermark:
                    continue
                for start in sorted(s for s in open_windows if s + WINDOW_US <= watermark):
                    for device, (n, s_pm, mx, s_co2) in open_windows.pop(start).items():
                        mean = s_pm / n
                        windows.append((device, start, n, mean, mx, s_co2 / n))
                        last = history.setdefault(device, deque(maxlen=SMA_WINDOWS))
                        last.append(mean)
                        sma.append((device, start, sum(last) / len(last)))
                earliest = min(open_windows, default=2**62)
    still_open = sum(len(w) for w in open_windows.values())
    return {"windows": windows, "sma": sma, "alerts": alerts, "late": late, "open": still_open}


# --- (b) pyarrow compute ----------------------------------------------------------------------


class ArrowEngine:
    """Windows by `group_by().aggregate`; per-device state in numpy arrays indexed by a device
    code that `pc.index_in` gives each device the first time it is seen."""

    def __init__(self, lateness_us: int) -> None:
        self.lateness_us = lateness_us
        self.max_seen = -(2**62)
        self.known = pa.array([], pa.string())
        self.runs = np.zeros(0, np.int64)
        self.history = np.full((0, SMA_WINDOWS - 1), np.nan)
        self.late = np.zeros(0, np.int64)
        self.open = pa.table(
            {"device_id": pa.array([], pa.string()), "start": pa.array([], pa.int64())}
            | {c: pa.array([], pa.float64()) for c in ("n", "s_pm", "mx", "s_co2")}
        )
        self.windows: list[pa.Table] = []
        self.sma: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.alerts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def codes(self, devices: pa.Array) -> np.ndarray:
        """Return each device's code, adding the devices not seen before."""
        found = pc.index_in(devices, value_set=self.known)
        if found.null_count:
            new = pc.unique(pc.filter(devices, pc.is_null(found)))
            self.known = pa.concat_arrays([self.known, new])
            grow = len(new)
            self.runs = np.concatenate([self.runs, np.zeros(grow, np.int64)])
            self.late = np.concatenate([self.late, np.zeros(grow, np.int64)])
            self.history = np.vstack([self.history, np.full((grow, SMA_WINDOWS - 1), np.nan)])
            found = pc.index_in(devices, value_set=self.known)
        return found.to_numpy()

    def process(self, batch: pa.RecordBatch) -> None:
        t = pc.cast(batch.column(2), pa.int64()).to_numpy()
        codes = self.codes(batch.column(1))
        before = np.maximum(
            np.concatenate([[self.max_seen], np.maximum.accumulate(t)[:-1]]), self.max_seen
        )
        late = t < before - self.lateness_us
        np.add.at(self.late, codes[late], 1)
        self.max_seen = max(self.max_seen, int(t.max()))
        keep = ~late
        pm25 = batch.column(3).to_numpy()[keep]
        self.update_alerts(codes[keep], pm25, batch.column(0).to_numpy()[keep])
        accepted = pa.table(
            {
                "device_id": pc.filter(batch.column(1), pa.array(keep)),
                "start": t[keep] - t[keep] % WINDOW_US,
                "pm25": pm25,
                "co2": batch.column(4).to_numpy()[keep],
            }
        )
        self.update_windows(accepted)

    def update_windows(self, accepted: pa.Table) -> None:
        """Merge the batch's window aggregates into the open windows, then emit those the
        watermark has passed."""
        partial = accepted.group_by(["device_id", "start"]).aggregate(
            [("pm25", "count"), ("pm25", "sum"), ("pm25", "max"), ("co2", "sum")]
        )
        partial = partial.rename_columns(["device_id", "start", "n", "s_pm", "mx", "s_co2"])
        partial = partial.set_column(2, "n", pc.cast(partial["n"], pa.float64()))
        merged = pa.concat_tables([self.open, partial.select(self.open.column_names)])
        merged = merged.group_by(["device_id", "start"]).aggregate(
            [("n", "sum"), ("s_pm", "sum"), ("mx", "max"), ("s_co2", "sum")]
        )
        merged = merged.rename_columns(["device_id", "start", "n", "s_pm", "mx", "s_co2"])
        closing = pc.less_equal(
            pc.add(merged["start"], WINDOW_US), self.max_seen - self.lateness_us
        )
        self.open = merged.filter(pc.invert(closing))
        closed = merged.filter(closing)
        if len(closed):
            closed = closed.sort_by([("device_id", "ascending"), ("start", "ascending")])
            self.windows.append(closed)
            self.update_sma(closed)

    def update_sma(self, closed: pa.Table) -> None:
        """The moving average of each closed window's pm25 mean over the device's last windows,
        closed rows sorted by device and start, the last 4 means per device kept in `history`."""
        codes = pc.index_in(closed["device_id"], value_set=self.known).to_numpy()
        means = closed["s_pm"].to_numpy() / closed["n"].to_numpy()
        kept = SMA_WINDOWS - 1
        seen = np.unique(codes)
        prior_codes = np.repeat(seen, kept)
        prior = self.history[seen].ravel()
        valid = ~np.isnan(prior)
        all_codes = np.concatenate([prior_codes[valid], codes])
        values = np.concatenate([prior[valid], means])
        rank = np.concatenate(
            [np.tile(np.arange(-kept, 0), len(seen))[valid], np.arange(len(codes))]
        )
        order = np.lexsort((rank, all_codes))
        all_codes, values, rank = all_codes[order], values[order], rank[order]
        is_new = rank >= 0
        index = np.arange(len(values))
        first = np.ones(len(values), bool)
        first[1:] = all_codes[1:] != all_codes[:-1]
        group_start = np.maximum.accumulate(np.where(first, index, 0))
        width = np.minimum(index - group_start + 1, SMA_WINDOWS)
        sums = np.concatenate([[0.0], np.cumsum(values)])
        average = (sums[index + 1] - sums[index + 1 - width]) / width
        starts = closed["start"].to_numpy()[rank[is_new]]
        self.sma.append((all_codes[is_new], starts, average[is_new]))
        last = np.ones(len(values), bool)
        last[:-1] = all_codes[1:] != all_codes[:-1]
        group_end = np.minimum.accumulate(np.where(last, index, len(values))[::-1])[::-1]
        from_end = group_end - index
        self.history[seen] = np.nan
        tail = from_end < kept
        self.history[all_codes[tail], kept - 1 - from_end[tail]] = values[tail]

    def update_alerts(self, codes: np.ndarray, pm25: np.ndarray, offsets: np.ndarray) -> None:
        """Run lengths of pm25 > 35 per device in arrival order, continuing the carried runs."""
        if not len(codes):
            return
        order = np.argsort(codes, kind="stable")
        c, above, offsets = codes[order], pm25[order] > THRESHOLD, offsets[order]
        index = np.arange(len(c))
        first = np.ones(len(c), bool)
        first[1:] = c[1:] != c[:-1]
        group_start = np.maximum.accumulate(np.where(first, index, 0))
        last_below = np.maximum.accumulate(np.where(above, -1, index))
        carry = self.runs[c]
        run = np.where(
            last_below >= group_start, index - last_below, index - group_start + 1 + carry
        )
        previous = np.where(first, carry, np.concatenate([[0], run[:-1]]))
        opened = above & (run == RUN_LENGTH)
        resolved = ~above & (previous >= RUN_LENGTH)
        for mask, kind in ((opened, 0), (resolved, 1)):
            self.alerts.append((c[mask], offsets[mask], np.full(int(mask.sum()), kind)))
        last = np.ones(len(c), bool)
        last[:-1] = first[1:]
        self.runs[c[last]] = run[last]

    def result(self) -> dict[str, Any]:
        names = self.known.to_pylist()
        windows = [
            (d, s, int(n), sp / n, mx, sc / n)
            for table in self.windows
            for d, s, n, sp, mx, sc in zip(
                *(table[c].to_pylist() for c in table.column_names), strict=True
            )
        ]
        sma = [
            (names[c], int(s), float(a))
            for cs, ss, avs in self.sma
            for c, s, a in zip(cs, ss, avs, strict=True)
        ]
        kinds = ("open", "resolved")
        alerts = [
            (names[c], int(o), kinds[k])
            for cs, os_, ks in self.alerts
            for c, o, k in zip(cs, os_, ks, strict=True)
        ]
        late = {names[i]: int(n) for i, n in enumerate(self.late) if n}
        return {
            "windows": windows,
            "sma": sma,
            "alerts": alerts,
            "late": late,
            "open": len(self.open),
        }


def run_pyarrow(stream: list[pa.RecordBatch], lateness_us: int) -> dict[str, Any]:
    engine = ArrowEngine(lateness_us)
    for batch in stream:
        engine.process(batch)
    return engine.result()


# --- (a) DuckDB SQL ---------------------------------------------------------------------------

DUCKDB_SETUP = """
CREATE TEMP TABLE m (max_seen BIGINT);
INSERT INTO m VALUES (-4611686018427387904);
CREATE TEMP TABLE w (
  device_id VARCHAR, start BIGINT, n BIGINT, s_pm DOUBLE, mx DOUBLE, s_co2 DOUBLE
);
CREATE TEMP TABLE h (device_id VARCHAR, start BIGINT, mean DOUBLE);
CREATE TEMP TABLE r (device_id VARCHAR, run BIGINT);
CREATE TEMP TABLE out_windows (
  device_id VARCHAR, start BIGINT, n BIGINT, mean DOUBLE, mx DOUBLE, co2 DOUBLE
);
CREATE TEMP TABLE out_sma (device_id VARCHAR, start BIGINT, sma DOUBLE);
CREATE TEMP TABLE out_alerts (device_id VARCHAR, "offset" BIGINT, kind VARCHAR);
CREATE TEMP TABLE out_late (device_id VARCHAR, n BIGINT);
"""

# One script per batch; {lateness} and {window} are filled in once.
DUCKDB_BATCH = """
CREATE OR REPLACE TEMP TABLE b AS
SELECT device_id, "offset", t, pm25, co2,
       t < greatest(
             max(t) OVER (ORDER BY "offset" ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
             (SELECT max_seen FROM m)
           ) - {lateness} AS late
FROM (SELECT *, epoch_us(ts) AS t FROM batch);
UPDATE m SET max_seen = greatest(max_seen, (SELECT max(t) FROM b));
INSERT INTO out_late SELECT device_id, count(*) FROM b WHERE late GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE a AS
WITH g AS (
  SELECT b.device_id, "offset", pm25 > {threshold} AS above, coalesce(r.run, 0) AS carry,
         row_number() OVER (ORDER BY b.device_id, "offset") AS p
  FROM b LEFT JOIN r USING (device_id) WHERE NOT late
), x AS (
  SELECT *, min(p) OVER d AS first_p,
         max(CASE WHEN NOT above THEN p END) OVER (d ROWS UNBOUNDED PRECEDING) AS below,
         max(CASE WHEN NOT above THEN p END)
           OVER (d ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS below_before
  FROM g WINDOW d AS (PARTITION BY device_id ORDER BY p)
)
SELECT device_id, "offset", above,
       CASE WHEN below IS NULL THEN p - first_p + 1 + carry ELSE p - below END AS run,
       CASE WHEN below_before IS NULL THEN p - first_p + carry
            ELSE p - 1 - below_before END AS previous
FROM x;
INSERT INTO out_alerts
SELECT device_id, "offset", CASE WHEN above THEN 'open' ELSE 'resolved' END FROM a
WHERE (above AND run = {run_length}) OR (NOT above AND previous >= {run_length});
CREATE OR REPLACE TEMP TABLE r AS
SELECT device_id, arg_max(run, o) AS run
FROM (SELECT device_id, run, -1 AS o FROM r UNION ALL SELECT device_id, run, "offset" FROM a)
GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE w AS
SELECT device_id, start, sum(n) AS n, sum(s_pm) AS s_pm, max(mx) AS mx, sum(s_co2) AS s_co2
FROM (SELECT * FROM w UNION ALL
      SELECT device_id, t - t % {window} AS start, count(*), sum(pm25), max(pm25), sum(co2)
      FROM b WHERE NOT late GROUP BY ALL)
GROUP BY ALL;
CREATE OR REPLACE TEMP TABLE c AS
SELECT * FROM w WHERE start + {window} <= (SELECT max_seen FROM m) - {lateness};
DELETE FROM w WHERE start + {window} <= (SELECT max_seen FROM m) - {lateness};
INSERT INTO out_windows SELECT device_id, start, n, s_pm / n, mx, s_co2 / n FROM c;
CREATE OR REPLACE TEMP TABLE s AS
SELECT device_id, start, mean, is_new,
       avg(mean) OVER (PARTITION BY device_id ORDER BY start ROWS {preceding} PRECEDING) AS sma,
       row_number() OVER (PARTITION BY device_id ORDER BY start DESC) AS from_end
FROM (SELECT device_id, start, mean, false AS is_new FROM h
      WHERE device_id IN (SELECT device_id FROM c)
      UNION ALL SELECT device_id, start, s_pm / n, true FROM c);
INSERT INTO out_sma SELECT device_id, start, sma FROM s WHERE is_new;
DELETE FROM h WHERE device_id IN (SELECT device_id FROM c);
INSERT INTO h SELECT device_id, start, mean FROM s WHERE from_end <= {preceding};
"""


def run_duckdb(stream: list[pa.RecordBatch], lateness_us: int, threads: int = 0) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    con.execute(DUCKDB_SETUP)
    script = DUCKDB_BATCH.format(
        lateness=lateness_us,
        window=WINDOW_US,
        threshold=THRESHOLD,
        run_length=RUN_LENGTH,
        preceding=SMA_WINDOWS - 1,
    )
    for batch in stream:
        con.register("batch", batch)
        con.execute(script)
    windows = con.execute("FROM out_windows").fetchall()
    sma = con.execute("FROM out_sma").fetchall()
    alerts = con.execute("FROM out_alerts").fetchall()
    late = dict(
        con.execute("SELECT device_id, sum(n)::BIGINT FROM out_late GROUP BY ALL").fetchall()
    )
    still_open = con.execute("SELECT count(*) FROM w").fetchone()[0]
    con.close()
    return {"windows": windows, "sma": sma, "alerts": alerts, "late": late, "open": still_open}


RUNNERS = {"python": run_python, "pyarrow": run_pyarrow, "duckdb": run_duckdb}


# --- measuring one engine in a child process ---------------------------------------------------


def memory_kb(field: str) -> int:
    """VmRSS or VmHWM (the peak) of this process, in kB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child(options: argparse.Namespace) -> int:
    """Generate the stream, run one engine over it, write its results and measurements."""
    table = generate(options.events, options.devices)
    stream = batches(table, options.batch)
    digest = hash(
        tuple(pc.sum(pc.cast(table[c], pa.float64())).as_py() for c in ("offset", "pm25", "co2"))
    )
    del table
    runner = RUNNERS[options.only]
    if options.only == "duckdb":
        import duckdb  # noqa: F401  (imported before the clock starts, like the others)
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    rss_before = memory_kb("VmRSS")
    cpu_before, started = time.process_time(), time.perf_counter()
    lateness_us = int(options.lateness * 1_000_000)
    if options.only == "duckdb":
        result = run_duckdb(stream, lateness_us, options.duckdb_threads)
    else:
        result = runner(stream, lateness_us)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    result["measure"] = {
        "wall": wall,
        "cpu": cpu,
        "rss_increase_mb": (memory_kb("VmHWM") - rss_before) / 1024,
        "digest": digest,
    }
    Path(options.result).write_bytes(pickle.dumps(result))
    return 0


def run_child(engine: str, options: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """Run one engine in a fresh process and return its results."""
    path = folder / f"{engine}.pickle"
    arguments = ["--events", options.events, "--batch", options.batch, "--devices", options.devices]
    arguments += ["--lateness", options.lateness, "--duckdb-threads", options.duckdb_threads]
    arguments += ["--only", engine, "--result", path]
    subprocess.run([sys.executable, __file__, *map(str, arguments)], check=True, timeout=3600)
    return pickle.loads(path.read_bytes())


# --- checking that the engines agree -----------------------------------------------------------


def differences(name: str, expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What `actual` (one engine's results) gets wrong against `expected` (the loop's)."""
    problems = []
    for key, width in (("windows", 2), ("sma", 2)):
        want = {row[:width]: row[width:] for row in expected[key]}
        got = {row[:width]: row[width:] for row in actual[key]}
        if len(got) != len(actual[key]):
            problems.append(f"{name}: {key} has a (device, window) emitted twice")
        if want.keys() != got.keys():
            problems.append(
                f"{name}: {key}: {len(want.keys() ^ got.keys())} rows in one engine only"
            )
        close = all(
            all(
                math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
                for a, b in zip(want[k], got[k], strict=True)
            )
            for k in want.keys() & got.keys()
        )
        if not close:
            problems.append(f"{name}: {key}: values differ")
    for key in ("alerts",):
        if sorted(expected[key]) != sorted(actual[key]):
            problems.append(f"{name}: {key} differ ({len(expected[key])} vs {len(actual[key])})")
    if expected["late"] != actual["late"]:
        problems.append(f"{name}: late counts differ")
    if expected["open"] != actual["open"]:
        problems.append(
            f"{name}: open windows at the end differ ({expected['open']} vs {actual['open']})"
        )
    if expected["measure"]["digest"] != actual["measure"]["digest"]:
        problems.append(f"{name}: generated a different stream")
    return problems


def median_measure(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One engine's measurements over its runs: the median wall and CPU, the highest RSS."""
    measures = [r["measure"] for r in runs]
    return {
        "wall": statistics.median(m["wall"] for m in measures),
        "cpu": statistics.median(m["cpu"] for m in measures),
        "rss_increase_mb": max(m["rss_increase_mb"] for m in measures),
        "digest": measures[0]["digest"],
    }


def report(options: argparse.Namespace, results: dict[str, dict[str, Any]]) -> None:
    """Print the side-by-side table."""
    base = results["python"]["measure"]
    print(
        f"{options.events:,} events, {options.devices:,} devices, batches of {options.batch:,}, "
        f"lateness {options.lateness:g} s, DuckDB threads {options.duckdb_threads or 'default'}, "
        f"median of {options.repeat} run(s) each"
    )
    header = (
        f"{'engine':<27} {'events/s':>11} {'× loop':>7} {'CPU s/M ev':>11} {'loop/this':>10}"
        f" {'peak RSS +MB':>13} {'× loop':>7}"
    )
    print(header)
    for engine in ("duckdb", "pyarrow", "python"):
        m = results[engine]["measure"]
        rate = options.events / m["wall"]
        cpu = m["cpu"] / options.events * 1_000_000
        base_cpu = base["cpu"] / options.events * 1_000_000
        rss = m["rss_increase_mb"]
        rss_ratio = f"{rss / base['rss_increase_mb']:.2f}" if base["rss_increase_mb"] > 0 else "-"
        print(
            f"{LABELS[engine]:<27} {rate:>11,.0f} {rate / (options.events / base['wall']):>7.2f}"
            f" {cpu:>11.2f} {base_cpu / cpu:>10.2f} {rss:>13.1f} {rss_ratio:>7}"
        )
    r = results["python"]
    late = sum(r["late"].values())
    print(
        f"each: {len(r['windows']):,} closed windows, {len(r['sma']):,} moving averages, "
        f"{len(r['alerts']):,} alert events, {late:,} late events, {r['open']:,} windows still open"
    )
    print(
        "events/s: wall clock of the processing alone (data generated before, imports done);"
        " CPU: user + system of the\nprocess, all threads (DuckDB uses them); peak RSS +MB:"
        " the peak during processing minus the RSS before it (the highest run).\n"
        "Quix Streams is not installed here (not in requirements-dev.lock): (c) is the per-event"
        " model it uses, a Python\ncallback per event over a dict, without its Kafka client,"
        " serialisation or state store."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events (default 1,000,000)")
    parser.add_argument(
        "--batch", type=int, default=10_000, help="events per micro-batch (default 10,000)"
    )
    parser.add_argument("--devices", type=int, default=1_000, help="devices (default 1,000)")
    parser.add_argument(
        "--lateness", type=float, default=10.0, help="allowed lateness in seconds (default 10)"
    )
    parser.add_argument(
        "--duckdb-threads",
        type=int,
        default=0,
        help="DuckDB's threads (default 0: DuckDB's own, one per core)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of each engine, interleaved; medians shown (default 1)",
    )
    parser.add_argument("--only", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.only:
        return child(options)
    with tempfile.TemporaryDirectory(prefix="lakebox-stream-engines-") as folder:
        runs = [
            {engine: run_child(engine, options, Path(folder)) for engine in ENGINES}
            for _ in range(options.repeat)
        ]
    expected = runs[0]["python"]
    problems = [
        p
        for run in runs
        for e in ENGINES
        for p in differences(e, expected, run[e])
        if run[e] is not expected
    ]
    results = {
        engine: runs[0][engine] | {"measure": median_measure([r[engine] for r in runs])}
        for engine in ENGINES
    }
    report(options, results)
    if problems:
        print("DIFFERENT RESULTS:\n  " + "\n  ".join(problems))
        return 1
    print("results identical in the three engines (floats within 1e-9)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
