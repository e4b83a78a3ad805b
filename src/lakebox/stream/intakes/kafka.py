"""The Kafka intake: a confluent-kafka consumer in the stream's consumer group, over one topic
or several, handing the worker micro-batches of records.

The worker's checkpoints, not Kafka's committed offsets, say where a partition resumes: when
the group assigns partitions, the worker restores their checkpoints and the consumer seeks
to the offsets it returns; when it takes them away, the worker flushes and checkpoints them
first. Offsets are committed to Kafka only after a checkpoint (the worker calls `commit`), so
the group's lag as Kafka tools show it never runs ahead of what is durable in the lake.

Several topics share the worker's partition numbers: partition p of the i-th topic listed is
the stream's partition `i * PARTITION_SPAN + p` (with one topic the numbers are Kafka's own).
Keep the order of `topics` when adding one, or the checkpoints meet the wrong partitions.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from lakebox.errors import StreamError
from lakebox.lakehouse import Lakehouse
from lakebox.stream.events import Record
from lakebox.stream.intakes.base import Assignee, register

logger = logging.getLogger(__name__)
PARTITION_SPAN = 10_000
CONNECT_SECONDS = 10.0  # unless the options set socket.connection.setup.timeout.ms
# Settings a stream's `intake.options` may override. A deep prefetch queue (up to 500k
# records or 32 MB per partition) read a 1M-event backlog 2-4x faster than librdkafka's
# default of 100k records; fetch.wait.max.ms=50 keeps live latency low.
DEFAULTS: dict[str, str | int | float | bool] = {
    "auto.offset.reset": "earliest",
    "fetch.wait.max.ms": 50,
    "queued.min.messages": 500_000,
    "queued.max.messages.kbytes": 32_768,
}
# Settings the intake's correctness depends on: never overridden. Eager `range` assignment
# hands each callback the whole assignment (cooperative-sticky, incremental, was also slower
# to settle here: 11 s to share partitions against 4 s).
FIXED: dict[str, str | int | float | bool] = {
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    "partition.assignment.strategy": "range",
}


@register("kafka")
def kafka_intake(lh: Lakehouse, name: str) -> KafkaIntake:
    """Return the Kafka intake of stream `name`, as its config declares it."""
    return KafkaIntake(name, consumer_settings(lh, name), lh.config.streams[name].intake.topics)


def consumer_settings(lh: Lakehouse, name: str) -> dict[str, str | int | float | bool]:
    """Return the consumer's settings: defaults < the stream's `intake.options` < fixed ones."""
    intake = lh.config.streams[name].intake
    group = intake.group or f"lakebox-{name}"
    place = {"bootstrap.servers": str(intake.brokers), "group.id": group}
    return {**DEFAULTS, **intake.options, **place, **FIXED}


class KafkaIntake:
    """Reads a stream's topics in its consumer group; the worker's partitions follow the
    group's assignment."""

    def __init__(
        self, name: str, settings: dict[str, str | int | float | bool], topics: Sequence[str]
    ) -> None:
        self.name = name
        self.settings = settings
        self.topics = list(topics)
        self.consumer: Consumer | None = None
        self.assignee: Assignee | None = None
        self.assigned: dict[int, TopicPartition] = {}
        self.numbers: dict[tuple[str, int], int] = {}
        self.closing = False

    def start(self, assignee: Assignee) -> None:
        """Join the consumer group; partitions reach `assignee` as the group assigns them."""
        self.assignee = assignee
        self.consumer = Consumer({**self.settings, "error_cb": self._error}, logger=logger)
        self._check_reachable(self.consumer)
        self.consumer.subscribe(
            self.topics, on_assign=self._on_assign, on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )  # fmt: skip

    def poll(self, max_records: int, timeout: float) -> list[Record]:
        """Return up to `max_records` records of the assigned partitions, waiting up to
        `timeout` seconds; group rebalances run inside this call."""
        messages = self._consumer().consume(max_records, timeout)
        records = []
        add = records.append
        numbers = self.numbers
        for message in messages:
            if message.error() is not None:
                self._report(message)
                continue
            place = (message.topic(), message.partition())
            number = numbers.get(place)
            if number is None:
                number = self.stream_partition(*place)
            add(Record(number, message.offset(), message.value() or b""))
        return records

    def commit(self, partition: int, next_offset: int) -> None:
        """Commit `next_offset` for the stream partition; a failed commit is only logged, as
        the checkpoint, not Kafka's offset, says where the partition resumes."""
        place = self.assigned.get(partition)
        if place is None:
            return
        offset = TopicPartition(place.topic, place.partition, next_offset)
        try:
            self._consumer().commit(offsets=[offset], asynchronous=False)
        except KafkaException as error:
            logger.warning("%s: committing offset %d of %s failed: %s",
                           self.name, next_offset, _named(place), error)  # fmt: skip

    def lag(self) -> dict[int, int]:
        """Return per assigned partition how many records the broker holds beyond the
        consumer's position (from the last fetch: no request to the broker)."""
        if not self.assigned or self.consumer is None:
            return {}
        places = list(self.assigned.values())
        positions = self.consumer.position([TopicPartition(p.topic, p.partition) for p in places])
        lags = {}
        for partition, position in zip(self.assigned, positions, strict=True):
            _, high = self.consumer.get_watermark_offsets(position, cached=True)
            known = high >= 0 and position.offset >= 0
            lags[partition] = max(0, high - position.offset) if known else 0
        return lags

    def close(self) -> None:
        """Leave the group. The worker flushed before; what it did not is read again by the
        partitions' next owner from their checkpoints."""
        self.closing = True
        if self.consumer is not None:
            self.consumer.close()
            self.consumer = None
        self.assigned = {}

    def stream_partition(self, topic: str, partition: int) -> int:
        """Return the stream's partition number of a topic's partition."""
        number = self.numbers.get((topic, partition))
        if number is None:
            number = self.topics.index(topic) * PARTITION_SPAN + partition
            self.numbers[topic, partition] = number
        return number

    def _on_assign(self, consumer: Consumer, places: list[TopicPartition]) -> None:
        partitions = [self.stream_partition(p.topic, p.partition) for p in places]
        offsets = self._assignee().assign(partitions) if partitions else {}
        start = [
            TopicPartition(place.topic, place.partition, offsets[partition])
            for place, partition in zip(places, partitions, strict=True)
        ]
        consumer.assign(start)
        self.assigned = dict(zip(partitions, places, strict=True))
        logger.info("%s: assigned %s", self.name, ", ".join(map(_named, start)) or "nothing")

    def _on_revoke(self, consumer: Consumer, places: list[TopicPartition]) -> None:
        partitions = [self.stream_partition(p.topic, p.partition) for p in places]
        if partitions and not self.closing:
            self._assignee().revoke(partitions)
        self._forget(consumer, partitions)
        logger.info("%s: revoked %s", self.name, ", ".join(map(_named, places)) or "nothing")

    def _on_lost(self, consumer: Consumer, places: list[TopicPartition]) -> None:
        """The group gave the partitions away already (this member's session timed out):
        drop them unflushed, since their new owner re-reads them from their checkpoints."""
        partitions = [self.stream_partition(p.topic, p.partition) for p in places]
        lose = getattr(self._assignee(), "lose", None)
        if partitions and lose is not None:
            lose(partitions)
        elif partitions:
            self._assignee().revoke(partitions)
        self._forget(consumer, partitions)
        logger.warning("%s: lost %s", self.name, ", ".join(map(_named, places)))

    def _forget(self, consumer: Consumer, partitions: list[int]) -> None:
        for partition in partitions:
            self.assigned.pop(partition, None)
        consumer.unassign()

    def _report(self, message: Message) -> None:
        """Log a consumer error delivered as a message; raise if the consumer cannot go on."""
        error = message.error()
        if error.fatal():
            raise StreamError(f"stream {self.name!r}: Kafka consumer failed: {error.str()}")
        if error.code() != KafkaError._PARTITION_EOF:
            logger.warning("%s: %s", self.name, error.str())

    def _check_reachable(self, consumer: Consumer) -> None:
        """Raise a StreamError naming the brokers when none answers; warn of missing topics."""
        brokers = self.settings["bootstrap.servers"]
        setup_ms = self.settings.get("socket.connection.setup.timeout.ms")
        seconds = float(setup_ms) / 1000 if setup_ms is not None else CONNECT_SECONDS
        try:
            metadata = consumer.list_topics(timeout=seconds)
        except KafkaException as error:
            consumer.close()
            raise StreamError(
                f"stream {self.name!r}: no Kafka broker answered at {brokers} within "
                f"{seconds:g} s ({error}); check intake.brokers in lakebox.yaml"
            ) from None
        missing = [topic for topic in self.topics if topic not in metadata.topics]
        if missing:
            logger.warning("%s: no topic %s on %s yet", self.name, ", ".join(missing), brokers)

    def _error(self, error: KafkaError) -> None:
        logger.warning("%s: Kafka: %s", self.name, error.str())

    def _consumer(self) -> Consumer:
        if self.consumer is None:
            raise StreamError(f"stream {self.name!r}: the Kafka intake is not started")
        return self.consumer

    def _assignee(self) -> Assignee:
        if self.assignee is None:
            raise StreamError(f"stream {self.name!r}: the Kafka intake has no worker")
        return self.assignee


def _named(place: TopicPartition) -> str:
    offset = f"@{place.offset}" if place.offset >= 0 else ""
    return f"{place.topic}[{place.partition}]{offset}"
