"""The MQTT intake: a paho-mqtt client, in a thread of the stream's worker, subscribed to the
stream's topic filters in a persistent session, writes each message to the stream's
write-ahead log and acknowledges it only once the log is fsynced; the worker reads the log
(`LoggedIntake`) as for the HTTP intake.

Nothing the broker delivered is lost to a `kill -9`: a message not yet logged was not
acknowledged either, so the broker keeps it in the session (fixed client id, clean start off)
and sends it again. A message logged whose acknowledgement was lost comes back marked as a
redelivery (DUP); one identical to a line among the log's last `receive_maximum` lines is
acknowledged without being logged twice. QoS 2 subscriptions are taken at QoS 1: paho keeps
QoS 2's handshake in memory, which a crash would lose, while the log makes QoS 1 exactly once.

Each message becomes one line: with `key_level`, the topic level that holds the key is put
into the payload's JSON object under the stream's key. A payload that is not a JSON object is
logged as it is (newlines made spaces, bytes that are not UTF-8 replaced), so the parser
refuses it with its reason; an empty payload or one past `max_event_bytes` is logged as a
JSON text saying so, which both the worker and the format step refuse as not a JSON object
with that text kept as the raw event.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from lakebox.errors import StreamError
from lakebox.lakehouse import Lakehouse
from lakebox.stream.events import Record
from lakebox.stream.intakes.base import Assignee, register
from lakebox.stream.intakes.logged import LoggedIntake
from lakebox.stream.intakes.mqtt_lines import EventLines, Recent
from lakebox.stream.intakes.mqtt_settings import MqttSettings, settings_of
from lakebox.stream.places import state_dir, wal_dir
from lakebox.stream.wal import Wal, WriterLock

logger = logging.getLogger(__name__)
_TAKE_SECONDS = 0.1
QUIET_SECONDS = 1.0  # subscribed and no message for this long: the session's backlog is in
CONNECT_SECONDS = 5.0  # how long a worker told to stop when idle waits for the broker
_BATCH_MESSAGES = 10_000
_JOIN_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Delivery:
    """A message as the client received it, with the connection it came on."""

    connection: int
    mid: int
    qos: int
    dup: bool
    topic: str
    payload: bytes


class Subscriber:
    """The paho client and the thread that logs what it receives, then acknowledges it."""

    def __init__(
        self,
        settings: MqttSettings,
        lines: EventLines,
        wal: Wal,
        backlogged: Callable[[], bool] = lambda: False,
    ) -> None:
        self.settings, self.lines, self.wal = settings, lines, wal
        self.backlogged = backlogged
        self.paused = False  # the log holds its most: messages wait at the broker
        self.recent = Recent(settings.receive_maximum)
        self.deliveries: queue.SimpleQueue[Delivery] = queue.SimpleQueue()
        self.failure: BaseException | None = None
        self.redelivered = 0  # messages sent again that the log held already
        self.connection = 0  # counts the connections: an ack goes on the one it belongs to
        self.connected_once = False
        self.subscribed = threading.Event()  # set while the broker grants the subscription
        self.active_at = time.monotonic()  # the last message, subscription or start
        self._gate = threading.Lock()
        self._closing = threading.Event()
        self._stopping = threading.Event()
        self._writer = threading.Thread(target=self._write, name="mqtt-log", daemon=True)
        self.client = self._client()

    def _client(self) -> paho.Client:
        settings = self.settings
        v5 = settings.protocol == paho.MQTTv5
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            clean_session=None if v5 else False,
            protocol=settings.protocol,
            manual_ack=True,
        )
        client.on_log = _client_log
        client.reconnect_delay_set(1, settings.reconnect_max)
        if settings.username is not None:
            client.username_pw_set(settings.username, settings.password)
        if settings.tls:
            client.tls_set(ca_certs=settings.ca_file)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def start(self) -> None:
        """Remember the log's last lines, start logging, connect (retrying in the background)."""
        start = max(0, self.wal.next_seq - self.settings.receive_maximum)
        for record in self.wal.read(start, self.settings.receive_maximum):
            self.recent.add(record.value)
        self._writer.start()
        settings = self.settings
        if settings.protocol == paho.MQTTv5:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = settings.session_expiry
            properties.ReceiveMaximum = settings.receive_maximum
            self.client.connect_async(
                settings.host, settings.port, settings.keepalive,
                clean_start=False, properties=properties,
            )  # fmt: skip
        else:
            self.client.connect_async(settings.host, settings.port, settings.keepalive)
        self.client.loop_start()

    def quiet(self) -> bool:
        """Return whether the subscription is granted and no message came for a while (the
        broker has sent what the session held)."""
        return (
            self.subscribed.is_set()
            and self.deliveries.empty()
            and time.monotonic() - self.active_at >= QUIET_SECONDS
        )

    def close(self) -> None:
        """Stop taking messages, log and acknowledge those received, then disconnect; the
        broker keeps the rest for the next session."""
        self._closing.set()
        self._stopping.set()
        if self._writer.is_alive():
            self._writer.join(_JOIN_SECONDS)
        self.client.disconnect()
        self.client.loop_stop()

    # -- the client's thread ------------------------------------------------------------------

    def _on_connect(
        self, client: paho.Client, _userdata: object, flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            logger.error("MQTT broker %s refused the connection: %s", self.settings.shown, reason)
            return
        if self.connected_once and not flags.session_present:
            logger.warning(
                "MQTT broker %s kept no session for %s: messages sent while disconnected "
                "may be lost",
                self.settings.shown,
                self.settings.client_id,
            )
        logger.info("connected to MQTT broker %s", self.settings.shown)
        if self.settings.protocol == paho.MQTTv5:
            retained = SubscribeOptions.RETAIN_SEND_IF_NEW_SUB
            options = SubscribeOptions(qos=self.settings.qos, retainHandling=retained)
            client.subscribe([(topic, options) for topic in self.settings.topics])
        elif not flags.session_present:
            client.subscribe([(topic, self.settings.qos) for topic in self.settings.topics])
        else:  # an MQTT 3.1.1 session keeps its subscriptions
            self.active_at = time.monotonic()
            self.subscribed.set()
        self.connected_once = True

    def _on_connect_fail(self, _client: paho.Client, _userdata: object) -> None:
        error = sys.exc_info()[1]  # paho calls this while handling the connection's error
        logger.warning(
            "cannot reach MQTT broker %s (%s); retrying",
            self.settings.shown,
            error or "no answer",
        )

    def _on_disconnect(
        self, _client: paho.Client, _userdata: object, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self.subscribed.clear()
        with self._gate:
            self.connection += 1
        if not self._closing.is_set():
            logger.warning("lost MQTT broker %s (%s); reconnecting", self.settings.shown, reason)

    def _on_subscribe(
        self, _client: paho.Client, _userdata: object, _mid: int, reasons: Any, _props: Any
    ) -> None:
        refused = [
            (topic, reason)
            for topic, reason in zip(self.settings.topics, reasons, strict=False)
            if reason.is_failure
        ]
        for topic, reason in refused:
            logger.error(
                "MQTT broker %s refused the subscription to %s: %s",
                self.settings.shown,
                topic,
                reason,
            )
        if not refused:
            self.active_at = time.monotonic()
            self.subscribed.set()

    def _on_message(self, _client: paho.Client, _userdata: object, message: Any) -> None:
        if self._closing.is_set():
            return  # not acknowledged: the broker sends it again to the next session
        self.active_at = time.monotonic()
        self.deliveries.put(
            Delivery(
                self.connection, message.mid, message.qos, bool(message.dup),
                message.topic, message.payload,
            )
        )  # fmt: skip

    # -- the logging thread -------------------------------------------------------------------

    def _write(self) -> None:
        try:
            while not self._wait_for_room():
                batch = self._take()
                if batch:
                    self._log(batch)
                elif self._stopping.is_set():
                    return
        except Exception as error:  # the worker's next poll raises it
            self.failure = error
            logger.exception("cannot log the MQTT messages of %s", self.settings.shown)

    def _wait_for_room(self) -> bool:
        """Wait while the log holds its most (the messages not acknowledged meanwhile wait
        at the broker); return whether to stop."""
        while self.backlogged():
            if not self.paused:
                logger.warning(
                    "the log of MQTT broker %s's messages is full (max_backlog): taking no more "
                    "until the worker catches up; the broker keeps them meanwhile",
                    self.settings.shown,
                )
                self.paused = True
            if self._stopping.wait(_TAKE_SECONDS):
                return True
        if self.paused:
            logger.info("taking the messages of MQTT broker %s again", self.settings.shown)
            self.paused = False
        return False

    def _take(self) -> list[Delivery]:
        try:
            first = self.deliveries.get(timeout=_TAKE_SECONDS)
        except queue.Empty:
            return []
        batch = [first]
        while len(batch) < _BATCH_MESSAGES:
            try:
                batch.append(self.deliveries.get_nowait())
            except queue.Empty:
                break
        return batch

    def _log(self, batch: list[Delivery]) -> None:
        """Log the batch's new lines (fsynced), then acknowledge every message, in order."""
        lines = []
        for delivery in batch:
            line = self.lines.line(delivery.topic, delivery.payload)
            if delivery.dup and line in self.recent:
                continue
            self.recent.add(line)
            lines.append(line)
        if len(lines) < len(batch):
            self.redelivered += len(batch) - len(lines)
            logger.info("%d redelivered MQTT messages were logged already", len(batch) - len(lines))
        self.wal.append(lines)
        with self._gate:
            for delivery in batch:
                if delivery.qos and delivery.connection == self.connection:
                    self.client.ack(delivery.mid, delivery.qos)


def _client_log(_client: paho.Client, _userdata: object, _level: int, text: str) -> None:
    """Keep paho's own messages as debug lines: its state changes reach the log through the
    callbacks above, at their level (paho calls the normal end of its loop an error)."""
    logger.debug("client: %s", text)


class MqttIntake:
    """A stream's MQTT subscription writing its log, and the log's reader for the worker."""

    def __init__(self, lh: Lakehouse, name: str) -> None:
        self.lh, self.name = lh, name
        self.stream = lh.config.streams[name]
        self.settings = settings_of(lh, name)
        self.lock: WriterLock | None = None
        self.reader: LoggedIntake | None = None
        self.subscriber: Subscriber | None = None
        self.connect_until = 0.0

    def start(self, assignee: Assignee) -> None:
        """Take the log's writer lock, give the worker partition 0 and subscribe."""
        self.lock = WriterLock(state_dir(self.lh, self.name))
        try:
            wal = Wal(wal_dir(self.lh, self.name))
            self.reader = LoggedIntake(self.lh, self.name)
            self.reader.start(assignee)
            lines = EventLines(self.stream, self.stream.intake.key_level)
            self.subscriber = Subscriber(self.settings, lines, wal, self._backlogged)
            self.subscriber.start()
            self.connect_until = time.monotonic() + CONNECT_SECONDS
        except BaseException:
            self.close()
            raise

    def poll(self, max_records: int, timeout: float) -> list[Record]:
        """Return the next logged events; none only once the subscription is quiet (or the
        broker is out of reach past the first seconds), so a worker told to stop when idle
        takes what the session held first. Raise if messages can no longer be logged."""
        reader, subscriber = self._reader(), self._subscriber()
        while True:
            self._raise_failure(subscriber)
            records = reader.poll(max_records, timeout)
            if records or subscriber.quiet():
                return records
            if not subscriber.subscribed.is_set() and time.monotonic() >= self.connect_until:
                return records

    def _raise_failure(self, subscriber: Subscriber) -> None:
        if subscriber.failure is not None:
            raise StreamError(
                f"stream {self.name!r}: cannot log the messages of MQTT broker "
                f"{self.settings.shown}: {subscriber.failure}"
            ) from subscriber.failure

    def commit(self, partition: int, next_offset: int) -> None:
        """Drop the log's segments before `next_offset`."""
        self._reader().commit(partition, next_offset)

    def lag(self) -> dict[int, int]:
        """Return how many logged events wait to be read."""
        return self._reader().lag()

    def close(self) -> None:
        """Unsubscribe nothing (the session keeps the subscription), disconnect, release."""
        if self.subscriber is not None:
            self.subscriber.close()
            self.subscriber = None
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def _backlogged(self) -> bool:
        """Return whether the log holds more than `max_backlog` and the worker has yet to
        read some of it (what it read goes at its next checkpoint)."""
        reader, wal = self.reader, self.subscriber.wal if self.subscriber else None
        if reader is None or wal is None or reader.position >= wal.next_seq:
            return False
        return wal.size() > self.stream.intake.backlog_bytes

    def _reader(self) -> LoggedIntake:
        if self.reader is None:
            raise StreamError(f"stream {self.name!r}: the MQTT intake is not started")
        return self.reader

    def _subscriber(self) -> Subscriber:
        if self.subscriber is None:
            raise StreamError(f"stream {self.name!r}: the MQTT intake is not started")
        return self.subscriber


@register("mqtt")
def intake(lh: Lakehouse, name: str) -> MqttIntake:
    """Return the intake of an MQTT stream (it connects when the worker starts it)."""
    return MqttIntake(lh, name)
