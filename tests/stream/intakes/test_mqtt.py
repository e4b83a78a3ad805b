"""The MQTT intake against a real Mosquitto and the real worker: readings of several devices
published to `<prefix>/aq/<device>/readings` land in `formatted.<stream>` with the key taken
from the topic, close windows, refuse what is malformed with its reason, survive the worker
being away or killed with SIGKILL, and the broker going away."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from lakebox.errors import StreamError
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.runner import run
from lakebox.stream.intakes import intake_for
from lakebox.stream.intakes.mqtt import MqttIntake
from lakebox.stream.intakes.mqtt_lines import EventLines
from lakebox.stream.intakes.mqtt_settings import settings_of
from lakebox.stream.worker import Worker
from tests.conftest import ProjectFactory
from tests.stream.mosquitto import Mosquitto

ROOT = Path(__file__).resolve().parents[3]
STREAM = "air"
START = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
DEVICES = 5
WAIT_SECONDS = 120
PUBLISH_SECONDS = 30


# -- helpers -----------------------------------------------------------------------------------


def wait_until(condition: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    """Wait until `condition()` holds; fail naming `what` past `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.05)


def stream_config(url: str, prefix: str, **intake: object) -> dict[str, object]:
    return {
        "intake": {
            "kind": "mqtt",
            "url": url,
            "topics": [f"{prefix}/aq/+/readings"],
            "key_level": 2,
            "qos": 1,
            "options": {"session_expiry": "10m"},
            **intake,
        },
        "key": "device_id",
        "time": "ts",
        "fields": {"device_id": "VARCHAR", "ts": "TIMESTAMPTZ", "pm25": "DOUBLE", "n": "BIGINT"},
        "lateness": "5m",
        "flush": 0.3,
        "windows": {"1m": {"size": "1m", "aggregates": {"pm25": ["mean", "max"]}}},
    }


@pytest.fixture
def prefix() -> str:
    """A topic root of the test's own, so tests sharing a broker never see each other."""
    return f"lakebox-test-{uuid.uuid4().hex[:10]}"


def reading(n: int) -> tuple[str, dict[str, object]]:
    """Return the device and payload of reading `n` (a device every 12 s, 5 devices)."""
    moment = START + timedelta(seconds=12 * (n // DEVICES))
    return f"d{n % DEVICES}", {"ts": moment.isoformat(), "pm25": float(n % 37), "n": n}


class Publisher:
    """A QoS 1 publisher waiting for the broker to take each message."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        self.client.connect(str(parts.hostname), parts.port or 1883)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes | str) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(PUBLISH_SECONDS)

    def readings(self, prefix: str, numbers: range, pause: float = 0.0) -> None:
        for n in numbers:
            device, payload = reading(n)
            self.send(f"{prefix}/aq/{device}/readings", json.dumps(payload))
            if pause:
                time.sleep(pause)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(mqtt_url: str) -> Iterator[Publisher]:
    sender = Publisher(mqtt_url)
    yield sender
    sender.close()


@contextmanager
def running(lh: Lakehouse, name: str = STREAM) -> Iterator[Worker]:
    """Run the stream's worker in a thread, subscribed, until the block ends."""
    intake = intake_for(lh, name)
    assert isinstance(intake, MqttIntake)
    worker = Worker(lh, name, intake)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        wait_until(
            lambda: intake.subscriber is not None and intake.subscriber.subscribed.is_set(),
            "the subscription",
        )
        yield worker
    finally:
        stop.set()
        thread.join()


def counted(worker: Worker) -> int:
    state = worker.states.get(0)
    return 0 if state is None else state.counters.accepted + state.counters.refused


def expected_windows(numbers: range, lateness: timedelta) -> list[dict[str, object]]:
    """Return the 1-minute windows of `numbers`' readings that the watermark closed."""
    groups: dict[tuple[str, datetime], list[float]] = {}
    latest = START
    for n in numbers:
        device, payload = reading(n)
        moment = datetime.fromisoformat(str(payload["ts"]))
        latest = max(latest, moment)
        start = moment.replace(second=0)
        groups.setdefault((device, start), []).append(float(payload["pm25"]))  # type: ignore[arg-type]
    return sorted(
        (
            {
                "device_id": device,
                "window_start": start,
                "events_count": len(values),
                "pm25_mean": round(sum(values) / len(values), 9),
                "pm25_max": max(values),
            }
            for (device, start), values in groups.items()
            if start + timedelta(minutes=1) <= latest - lateness
        ),
        key=lambda row: (row["device_id"], row["window_start"]),
    )


def window_rows(lh: Lakehouse) -> list[dict[str, object]]:
    return lh.query(
        f"SELECT device_id, window_start, events_count, round(pm25_mean, 9) AS pm25_mean, "
        f"pm25_max FROM exploitation.{STREAM}_1m ORDER BY device_id, window_start"
    ).to_pylist()


def assert_exactly_once(lh: Lakehouse, numbers: range) -> None:
    """Every reading is formatted once, with its device, and the windows are all there."""
    assert run(lh).ok
    landed = lh.query(
        f"SELECT sum(rows_read) AS n FROM landing.manifest WHERE source = '{STREAM}'"
    ).to_pylist()
    assert landed == [{"n": len(numbers)}]
    formatted = lh.query(
        f"SELECT count(*) AS n, count(DISTINCT n) AS readings, min(n) AS first, max(n) AS last,"
        f" count(*) FILTER (WHERE device_id <> 'd' || (n % {DEVICES})) AS misplaced "
        f"FROM formatted.{STREAM}"
    ).to_pylist()
    assert formatted == [
        {
            "n": len(numbers),
            "readings": len(numbers),
            "first": numbers.start,
            "last": numbers.stop - 1,
            "misplaced": 0,
        }
    ]
    assert window_rows(lh) == expected_windows(numbers, timedelta(minutes=5))


# -- the intake with a worker ------------------------------------------------------------------


def test_readings_land_and_close_windows(
    make_project: ProjectFactory, mqtt_url: str, prefix: str, publisher: Publisher
) -> None:
    lh = make_project(streams={STREAM: stream_config(mqtt_url, prefix)})
    numbers = range(400)
    with running(lh) as worker:
        publisher.readings(prefix, numbers)
        wait_until(lambda: counted(worker) == len(numbers), "every reading")
    assert_exactly_once(lh, numbers)


def test_malformed_messages_are_refused_with_their_reason(
    make_project: ProjectFactory, mqtt_url: str, prefix: str, publisher: Publisher
) -> None:
    config = stream_config(mqtt_url, prefix)
    config["max_event_bytes"] = 200
    lh = make_project(streams={STREAM: config})
    good = json.dumps({"ts": START.isoformat(), "pm25": 3.5, "n": 1})
    sent = {
        "d1": good,
        "d2": "not json",
        "d3": "[1, 2, 3]",
        "d4": json.dumps({"pm25": 3.5, "n": 4}),
        "d5": json.dumps({"ts": "yesterday", "pm25": 3.5, "n": 5}),
        "d6": json.dumps({"ts": START.isoformat(), "pm25": "x" * 300, "n": 6}),
        "d7": "",
        "d8": "{\n  " + good[1:].replace(", ", ",\n  "),  # pretty-printed: still one event
    }
    with running(lh) as worker:
        for device, payload in sent.items():
            publisher.send(f"{prefix}/aq/{device}/readings", payload)
        wait_until(lambda: counted(worker) == len(sent), "every message")
        assert worker.states[0].counters.accepted == 2
    assert run(lh).ok
    accepted = lh.query(f"SELECT device_id FROM formatted.{STREAM} ORDER BY 1").to_pylist()
    assert accepted == [{"device_id": "d1"}, {"device_id": "d8"}]
    refused = lh.query(f"SELECT _reason, _raw FROM quarantine.{STREAM} ORDER BY _source_line")
    reasons = [(row["_reason"], row["_raw"]) for row in refused.to_pylist()]
    assert reasons[0] == ("malformed JSON", "not json")
    assert reasons[1] == ("not a JSON object", "[1, 2, 3]")
    assert "ts" in str(reasons[2][0]) and '"device_id":"d4"' in str(reasons[2][1])
    assert "ts" in str(reasons[3][0]) and "yesterday" in str(reasons[3][1])
    assert reasons[4][0] == "not a JSON object"
    assert "event larger than 200 bytes" in str(reasons[4][1]) and "/aq/d6/" in str(reasons[4][1])
    assert reasons[5][0] == "not a JSON object" and "empty MQTT message" in str(reasons[5][1])
    assert len(reasons) == 6


def test_messages_sent_while_the_worker_is_away_are_kept(
    make_project: ProjectFactory, mqtt_url: str, prefix: str, publisher: Publisher
) -> None:
    lh = make_project(streams={STREAM: stream_config(mqtt_url, prefix)})
    with running(lh) as worker:
        publisher.readings(prefix, range(0, 100))
        wait_until(lambda: counted(worker) == 100, "the first readings")
    publisher.readings(prefix, range(100, 300))  # nobody subscribed: the session keeps them
    worker = Worker(lh, STREAM, intake_for(lh, STREAM))
    worker.run(until_idle=True)  # stops once the session's messages are in
    assert counted(worker) == 300
    assert_exactly_once(lh, range(300))


def test_mqtt_3_1_1_session_keeps_messages_too(
    make_project: ProjectFactory, mqtt_url: str, prefix: str, publisher: Publisher
) -> None:
    config = stream_config(mqtt_url, prefix, options={"protocol": "3.1.1"})
    lh = make_project(streams={STREAM: config})
    with running(lh) as worker:
        publisher.readings(prefix, range(0, 100))
        wait_until(lambda: counted(worker) == 100, "the first readings")
    publisher.readings(prefix, range(100, 250))
    with running(lh) as worker:
        wait_until(lambda: counted(worker) == 250, "the readings sent meanwhile")
    assert_exactly_once(lh, range(250))


def test_past_max_backlog_messages_wait_at_the_broker(
    make_project: ProjectFactory, mqtt_url: str, prefix: str, publisher: Publisher
) -> None:
    config = stream_config(mqtt_url, prefix)
    config["intake"]["max_backlog"] = "2KB"  # type: ignore[index]
    lh = make_project(streams={STREAM: config})
    intake = intake_for(lh, STREAM)
    assert isinstance(intake, MqttIntake)
    idle = Worker(lh, STREAM, intake)
    intake.start(idle)  # subscribed and logging, but nobody reads the log
    try:
        subscriber = intake.subscriber
        assert subscriber is not None
        wait_until(subscriber.subscribed.is_set, "the subscription")
        publisher.readings(prefix, range(0, 80))
        wait_until(lambda: subscriber.paused, "the log to fill")
        logged = subscriber.wal.next_seq
        publisher.readings(prefix, range(80, 160))
        wait_until(lambda: not subscriber.deliveries.empty(), "messages waiting")
        assert 0 < subscriber.wal.next_seq == logged < 160
    finally:
        intake.close()
        idle.close()
    worker = Worker(lh, STREAM, intake_for(lh, STREAM))
    worker.run(until_idle=True)  # reading the log makes room; the broker sends the rest
    assert counted(worker) == 160
    assert_exactly_once(lh, range(160))


def test_a_second_worker_on_the_stream_is_refused(
    make_project: ProjectFactory, mqtt_url: str, prefix: str
) -> None:
    lh = make_project(streams={STREAM: stream_config(mqtt_url, prefix)})
    with running(lh) as worker:
        other = Worker(lh, STREAM, intake_for(lh, STREAM))
        with pytest.raises(StreamError, match="another process is taking events"):
            other.run(until_idle=True)
        assert counted(worker) == 0


# -- a broker that goes away, a worker killed --------------------------------------------------


def test_the_worker_reconnects_when_the_broker_comes_back(
    make_project: ProjectFactory,
    own_mosquitto: Mosquitto,
    prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"mqtt://sensor:s3cret-pw@127.0.0.1:{own_mosquitto.port}"
    config = stream_config(url, prefix, options={"reconnect_max": 2})
    lh = make_project(streams={STREAM: config})
    caplog.set_level(logging.INFO, logger="lakebox.stream.intakes.mqtt")
    with running(lh) as worker:
        sender = Publisher(own_mosquitto.url)
        sender.readings(prefix, range(0, 50))
        sender.close()
        wait_until(lambda: counted(worker) == 50, "the first readings")
        subscriber = worker.intake.subscriber  # type: ignore[union-attr]
        own_mosquitto.stop()
        wait_until(lambda: "lost MQTT broker" in caplog.text, "the warning of a lost broker")
        own_mosquitto.start()
        wait_until(subscriber.subscribed.is_set, "a new subscription")
        sender = Publisher(own_mosquitto.url)
        sender.readings(prefix, range(50, 250))
        sender.close()
        wait_until(lambda: counted(worker) == 250, "the readings after the broker came back")
    assert f"lost MQTT broker mqtt://sensor@127.0.0.1:{own_mosquitto.port}" in caplog.text
    assert "kept no session" in caplog.text  # a broker without persistence forgot it
    assert "s3cret-pw" not in caplog.text
    assert_exactly_once(lh, range(250))


def test_mqtts_with_a_ca_file(
    make_project: ProjectFactory, tls_mosquitto: Mosquitto, prefix: str
) -> None:
    options = {"ca_file": str(tls_mosquitto.ca_file), "session_expiry": "10m"}
    config = stream_config(tls_mosquitto.tls_url, prefix, options=options)
    lh = make_project(streams={STREAM: config})
    with running(lh) as worker:
        sender = Publisher(tls_mosquitto.url)  # the plain listener of the same broker
        sender.readings(prefix, range(200))
        sender.close()
        wait_until(lambda: counted(worker) == 200, "the readings over TLS")
    assert_exactly_once(lh, range(200))


def test_a_certificate_of_another_ca_is_refused(
    make_project: ProjectFactory,
    tls_mosquitto: Mosquitto,
    prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lh = make_project(streams={STREAM: stream_config(tls_mosquitto.tls_url, prefix)})
    caplog.set_level(logging.WARNING, logger="lakebox.stream.intakes.mqtt")
    intake = intake_for(lh, STREAM)
    worker = Worker(lh, STREAM, intake)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        wait_until(lambda: "cannot reach MQTT broker mqtts://127.0.0.1" in caplog.text, "a warning")
        assert "certificate verify failed" in caplog.text
        assert intake.subscriber is not None and not intake.subscriber.subscribed.is_set()
    finally:
        stop.set()
        thread.join()


def _worker(project: Path, *point: str) -> subprocess.Popen[str]:
    """Start the stream's worker in a process of its own; return once it is subscribed
    (or, with a crash point, once it has started)."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.stream.intakes.mqtt_worker", str(project), STREAM, *point],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if not point:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "subscribed", child.stderr
    return child


def _ended(child: subprocess.Popen[str]) -> tuple[int, str]:
    _out, errors = child.communicate(timeout=WAIT_SECONDS)
    return child.returncode, errors


def _landed(lh: Lakehouse) -> int:
    return sum(entry.rows_read or 0 for entry in lh.manifest.entries(STREAM))


def test_no_message_is_lost_or_duplicated_by_kill_9(
    make_project: ProjectFactory, mqtt_url: str, prefix: str, publisher: Publisher
) -> None:
    lh = make_project(streams={STREAM: stream_config(mqtt_url, prefix)})
    # about 100 readings a second, so a worker's few seconds away stay well under the 1000
    # messages a Mosquitto keeps for a client by default (max_queued_messages)
    numbers = range(1500)
    child = _worker(lh.project_dir)  # makes the session: from now on the broker keeps all
    os.kill(child.pid, signal.SIGKILL)
    _ended(child)
    sending = threading.Thread(target=publisher.readings, args=(prefix, numbers, 0.01))
    sending.start()
    try:
        # logged and fsynced, never acknowledged: the broker sends them again (DUP)
        assert _ended(_worker(lh.project_dir, "after-log:4"))[0] == -signal.SIGKILL
        # received, not logged: the broker sends them again
        code, errors = _ended(_worker(lh.project_dir, "before-log:3"))
        assert code == -signal.SIGKILL
        assert "redelivered MQTT messages were logged already" in errors
        seen = _landed(lh)
        child = _worker(lh.project_dir)
        wait_until(lambda: _landed(lh) > seen + 100, "more readings landed")
        os.kill(child.pid, signal.SIGKILL)  # anywhere, while readings keep coming
        _ended(child)
        child = _worker(lh.project_dir)
    finally:
        sending.join()
    wait_until(lambda: _landed(lh) >= len(numbers), "every reading landed")
    child.send_signal(signal.SIGTERM)
    code, errors = _ended(child)
    assert code == 0, errors[-3000:]
    lh.refresh(manifest=True)
    assert_exactly_once(lh, numbers)


# -- the pieces --------------------------------------------------------------------------------


def test_event_lines_put_the_topic_key_into_the_payload(make_project: ProjectFactory) -> None:
    lh = make_project(streams={STREAM: stream_config("mqtt://127.0.0.1:1", "p")})
    lines = EventLines(lh.config.streams[STREAM], key_level=2)
    assert lines.line("p/aq/d1/readings", b'{"pm25": 1}') == b'{"pm25":1,"device_id":"d1"}'
    assert lines.line("p/aq/d1/readings", b'{"device_id": "x"}') == b'{"device_id":"d1"}'
    assert lines.line("p/aq", b'{"pm25": 1}') == b'{"pm25": 1}'  # no level 2: as it came
    assert lines.line("p/aq/d1/r", b"[1,\n2]") == b"[1, 2]"
    assert lines.line("p/aq/d1/r", b"\xff\xfe{") == "\ufffd\ufffd{".encode()
    assert lines.line("p/aq/d1/r", b"  ") == b'"empty MQTT message on p/aq/d1/r"'
    unkeyed = EventLines(lh.config.streams[STREAM], key_level=None)
    assert unkeyed.line("p/aq/d1/r", b'{\n"a": 1}') == b'{ "a": 1}'


def test_an_integer_key_is_taken_as_a_number(make_project: ProjectFactory) -> None:
    config = stream_config("mqtt://127.0.0.1:1", "p")
    config["fields"] = {"device_id": "BIGINT", "ts": "TIMESTAMPTZ"}
    config["windows"] = {}
    lh = make_project(streams={STREAM: config})
    lines = EventLines(lh.config.streams[STREAM], key_level=1)
    assert lines.line("aq/42/readings", b"{}") == b'{"device_id":42}'
    assert lines.line("aq/x42/readings", b"{}") == b'{"device_id":"x42"}'


def test_settings_name_the_broker_without_its_password(make_project: ProjectFactory) -> None:
    url = "mqtts://sensor:hunter22@broker.example:8884"
    lh = make_project(streams={STREAM: stream_config(url, "p", qos=2)})
    settings = settings_of(lh, STREAM)
    assert (settings.host, settings.port, settings.tls) == ("broker.example", 8884, True)
    assert (settings.username, settings.password) == ("sensor", "hunter22")
    assert settings.shown == "mqtts://sensor@broker.example:8884"
    assert settings.qos == 1  # QoS 2 is taken at QoS 1: the log makes it exactly once
    assert settings.client_id.startswith(f"lakebox-test-{STREAM}-")
    assert settings.session_expiry == 600


@pytest.mark.parametrize(
    ("url", "options", "message"),
    [
        ("http://user:hunter22@h:1", {}, "is not mqtt://host:port"),
        ("mqtt://user:hunter22@h:1", {"colour": "red"}, "unknown MQTT option 'colour'"),
        ("mqtt://h:1", {"protocol": "4"}, "protocol '4' is not"),
        ("mqtt://h:1", {"receive_maximum": 0}, "receive_maximum 0 must be"),
        ("mqtt://h:1", {"session_expiry": "soon"}, "'soon' is not a duration"),
    ],
)
def test_wrong_settings_are_refused(
    make_project: ProjectFactory, url: str, options: dict[str, object], message: str
) -> None:
    lh = make_project(streams={STREAM: stream_config(url, "p", options=options)})
    with pytest.raises(StreamError, match=message) as raised:
        intake_for(lh, STREAM)
    assert "hunter22" not in str(raised.value)
