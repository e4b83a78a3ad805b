"""The Kafka intake against a real broker: events land and fill the window tables; a worker
killed with SIGKILL mid-stream, or one of two workers sharing four partitions, neither loses
nor duplicates an event, a window row or an incident."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from lakebox.catalog.manifest import Status
from lakebox.errors import StreamError
from lakebox.lakehouse import Lakehouse
from lakebox.monitoring import ledger
from lakebox.stream.intakes import intake_for
from lakebox.stream.intakes.kafka import PARTITION_SPAN, KafkaIntake, consumer_settings
from lakebox.stream.places import batch_span
from lakebox.stream.worker import Worker
from tests.stream.brokers import committed_offsets, create_topic, free_port, produce_json

NAME = "aq"
START = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW = 60
WAIT_SECONDS = 90  # the longest any wait below may take before the test fails


def stream_config(broker: str, *topics: str, flush: str = "1s") -> dict[str, Any]:
    """A Kafka stream of pm25 readings: 1-minute windows, a 3-in-a-row alert."""
    return {
        "intake": {
            "kind": "kafka", "brokers": broker, "topics": list(topics),
            "group": f"lakebox-{uuid.uuid4().hex[:8]}",
            "options": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 1000},
        },
        "key": "device_id", "time": "ts",
        "fields": {"device_id": "VARCHAR", "ts": "TIMESTAMPTZ", "pm25": "DOUBLE"},
        "lateness": "0s", "flush": flush,
        "windows": {"1m": {"size": "1m", "aggregates": {"pm25": ["mean", "max"]}}},
        "alerts": {"pm25_high": {"field": "pm25", "above": 35, "events": 3}},
    }  # fmt: skip


def readings(devices: int, seconds: range) -> list[dict[str, Any]]:
    """Every device once a second; pm25 above 35 for 4 readings from second 30 of each
    minute for even devices. `n` numbers the events (not a declared field: it lands only)."""
    events = []
    for second in seconds:
        for device in range(devices):
            spike = device % 2 == 0 and 30 <= second % WINDOW < 34
            moment = START + timedelta(seconds=second)
            events.append({
                "device_id": f"d{device}", "ts": moment.isoformat().replace("+00:00", "Z"),
                "pm25": 50.0 if spike else float(second % 7), "n": second * devices + device,
            })  # fmt: skip
    return events


def by_device(partitions: int) -> Callable[[dict[str, Any]], int]:
    """Put device `dN` in partition N % `partitions`, so each partition has every second."""
    return lambda event: int(event["device_id"][1:]) % partitions


def expected_windows(events: list[dict[str, Any]]) -> dict[tuple[str, datetime], tuple]:
    """Return (device, window start) -> (count, mean, max) of the windows the last second
    closed (each partition holds every second, so each partition's watermark is the last)."""
    last = max(datetime.fromisoformat(e["ts"]) for e in events)
    groups: dict[tuple[str, datetime], list[float]] = {}
    for event in events:
        moment = datetime.fromisoformat(event["ts"])
        start = moment - timedelta(seconds=moment.second, microseconds=moment.microsecond)
        if start + timedelta(seconds=WINDOW) <= last:
            groups.setdefault((event["device_id"], start), []).append(event["pm25"])
    return {k: (len(v), sum(v) / len(v), max(v)) for k, v in groups.items()}


def landed_events(lh: Lakehouse) -> list[int]:
    """Return `n` of every event in the stream's landed objects, duplicates included."""
    numbers = []
    for entry in lh.manifest.entries(NAME, Status.LANDED):
        with lh.storage.as_local_file(str(entry.landed_path)) as path:
            numbers += [orjson.loads(line)["n"] for line in path.read_bytes().splitlines()]
    return numbers


def landed_partitions(lh: Lakehouse) -> set[int]:
    """Return the partitions that landed a flush."""
    spans = (batch_span(NAME, e.batch_id) for e in lh.manifest.entries(NAME, Status.LANDED))
    return {span[0] for span in spans if span is not None}


def check_exactly_once(lh: Lakehouse, events: list[dict[str, Any]]) -> None:
    """Every event landed once; one window row per device and window, with the right values;
    one incident per spike."""
    landed = Counter(landed_events(lh))
    assert sorted(landed) == sorted(e["n"] for e in events)
    assert set(landed.values()) == {1}
    rows = lh.query(f'SELECT * FROM exploitation."{NAME}_1m"').to_pylist()
    keys = Counter((row["device_id"], row["window_start"]) for row in rows)
    assert set(keys.values()) == {1}
    found = {key: (r["events_count"], r["pm25_mean"], r["pm25_max"])
             for r in rows if (key := (r["device_id"], r["window_start"]))}  # fmt: skip
    expected = expected_windows(events)
    assert found.keys() == expected.keys()
    for key, (count, mean, peak) in expected.items():
        assert found[key] == (count, pytest.approx(mean), peak)
    spikes = {(e["device_id"], e["ts"][:16]) for e in events if e["pm25"] > 35}
    incidents = [r for r in ledger.load(lh).values() if r.kind == "streams"]
    assert len(incidents) == len({spike for spike in spikes})


def wait_until(condition: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    """Return once `condition()` holds; fail naming `what` if it does not within `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds} s for {what}")
        time.sleep(0.2)


def all_committed(broker: str, topic: str, group: str, counts: dict[int, int]) -> bool:
    """Return whether `group` committed the end of every partition (after its checkpoint)."""
    return committed_offsets(broker, group, topic) == counts


def partition_counts(events: list[dict[str, Any]], partitions: int) -> dict[int, int]:
    """Return how many events each partition holds."""
    counts = Counter(by_device(partitions)(event) for event in events)
    return {partition: counts[partition] for partition in range(partitions)}


class WorkerProcess:
    """`lakebox stream run NAME` in a process of its own."""

    def __init__(self, project: Path, log: Path) -> None:
        self.log_path = log
        with log.open("ab") as handle:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "lakebox.cli", "stream", "run", NAME, "-p", str(project)],
                stdout=handle, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def holding(worker: WorkerProcess) -> set[int]:
    """Return the partitions the worker process holds: the partition lock files it has open
    (a worker keeps `worker-p<N>.lock` open while it owns partition N)."""
    held = set()
    folder = Path(f"/proc/{worker.process.pid}/fd")
    for descriptor in folder.iterdir() if folder.exists() else []:
        try:
            target = os.readlink(descriptor)
        except OSError:  # closed meanwhile
            continue
        name = Path(target).name
        if name.startswith("worker-p") and name.endswith(".lock"):
            held.add(int(name.removeprefix("worker-p").removesuffix(".lock")))
    return held


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[[Path], WorkerProcess]]:
    """Start worker processes; every one still running is stopped at the end."""
    started: list[WorkerProcess] = []

    def start(project: Path) -> WorkerProcess:
        worker = WorkerProcess(project, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def run_until_flushed(lh: Lakehouse, events: int) -> Worker:
    """Run the stream's worker in a thread until `events` are flushed; return it stopped."""
    worker = Worker(lh, NAME, intake_for(lh, NAME))
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        wait_until(lambda: sum(f.events for f in worker.flushes) >= events, "all flushed")
    finally:
        stop.set()
        thread.join(timeout=60)
    return worker


def test_options_override_the_defaults_but_not_the_offset_handling(make_project) -> None:
    config = stream_config("127.0.0.1:9", "t")
    config["intake"]["options"] = {"fetch.wait.max.ms": 10, "enable.auto.commit": True}
    lh = make_project(streams={NAME: config})

    settings = consumer_settings(lh, NAME)

    assert settings["fetch.wait.max.ms"] == 10
    assert settings["enable.auto.commit"] is False
    assert settings["group.id"] == config["intake"]["group"]
    assert settings["bootstrap.servers"] == "127.0.0.1:9"


def test_an_unreachable_broker_is_a_stream_error(make_project) -> None:
    config = stream_config(f"127.0.0.1:{free_port()}", "t")
    config["intake"]["options"] = {"socket.connection.setup.timeout.ms": 1000}
    lh = make_project(streams={NAME: config})
    worker = Worker(lh, NAME, intake_for(lh, NAME))

    try:
        with pytest.raises(StreamError, match="no Kafka broker answered"):
            worker.run()
    finally:
        worker.close()


def test_kafka_events_land_and_fill_the_window_tables(kafka_broker: str, make_project) -> None:
    topic = create_topic(kafka_broker, partitions=2)
    lh = make_project(streams={NAME: stream_config(kafka_broker, topic)})
    events = readings(devices=4, seconds=range(150))
    produce_json(kafka_broker, topic, events, partition_of=by_device(2))
    worker = run_until_flushed(lh, len(events))

    assert isinstance(worker.intake, KafkaIntake)
    check_exactly_once(lh, events)
    group = lh.config.streams[NAME].intake.group
    assert committed_offsets(kafka_broker, str(group), topic) == partition_counts(events, 2)


def test_several_topics_are_partitions_of_one_stream(kafka_broker: str, make_project) -> None:
    first, second = create_topic(kafka_broker), create_topic(kafka_broker)
    lh = make_project(streams={NAME: stream_config(kafka_broker, first, second)})
    events = readings(devices=4, seconds=range(130))
    produce_json(kafka_broker, first, [e for e in events if e["device_id"] in ("d0", "d2")])
    produce_json(kafka_broker, second, [e for e in events if e["device_id"] in ("d1", "d3")])

    run_until_flushed(lh, len(events))

    assert landed_partitions(lh) == {0, PARTITION_SPAN}
    check_exactly_once(lh, events)


def test_a_killed_worker_restarts_without_losing_or_duplicating(
    kafka_broker: str, make_project, workers
) -> None:
    topic = create_topic(kafka_broker, partitions=1)
    lh = make_project(streams={NAME: stream_config(kafka_broker, topic)})
    group = str(lh.config.streams[NAME].intake.group)
    events = readings(devices=10, seconds=range(200))
    first, rest = events[:1200], events[1200:]
    produce_json(kafka_broker, topic, first)
    worker = workers(lh.project_dir)
    wait_until(lambda: lh.manifest.entries(NAME, Status.LANDED), "a first landed flush")
    produce_json(kafka_broker, topic, rest[:300])
    worker.kill()

    produce_json(kafka_broker, topic, rest[300:])
    workers(lh.project_dir)
    wait_until(lambda: all_committed(kafka_broker, topic, group, {0: len(events)}), "the end")

    check_exactly_once(lh, events)


def test_two_workers_share_four_partitions_and_one_takes_over(
    kafka_broker: str, make_project, workers
) -> None:
    topic = create_topic(kafka_broker, partitions=4)
    lh = make_project(streams={NAME: stream_config(kafka_broker, topic, flush="2s")})
    group = str(lh.config.streams[NAME].intake.group)
    events = readings(devices=8, seconds=range(200))
    first, rest = events[:800], events[800:]
    produce_json(kafka_broker, topic, first, partition_of=by_device(4))
    assert lh.catalog  # two processes creating a fresh project's catalog at once collide
    one, two = workers(lh.project_dir), workers(lh.project_dir)
    wait_until(lambda: len(holding(one)) == len(holding(two)) == 2, "two partitions each")
    wait_until(lambda: landed_partitions(lh) == {0, 1, 2, 3}, "flushes of both workers")
    produce_json(kafka_broker, topic, rest[:800], partition_of=by_device(4))
    one.kill()

    produce_json(kafka_broker, topic, rest[800:], partition_of=by_device(4))
    counts = partition_counts(events, 4)
    wait_until(lambda: all_committed(kafka_broker, topic, group, counts), "the end")

    check_exactly_once(lh, events)
    assert holding(two) == {0, 1, 2, 3}
