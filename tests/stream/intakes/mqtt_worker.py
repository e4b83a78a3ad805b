"""Runs an MQTT stream's worker until SIGTERM, or kills itself with SIGKILL at a chosen point.

Used by the kill tests: `python -m tests.stream.intakes.mqtt_worker PROJECT STREAM [POINT]`,
POINT being `after-log:N` (right after the Nth write to the log is fsynced, before its
messages are acknowledged) or `before-log:N` (the messages of the Nth write received, not
logged). It prints `subscribed` once the broker granted the subscription. Nothing is mocked:
the real code runs until the point, then the process dies as from the OOM killer.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from typing import Any

import lakebox
from lakebox.stream.intakes import intake_for
from lakebox.stream.intakes.mqtt import MqttIntake
from lakebox.stream.wal import Wal
from lakebox.stream.worker import Worker

SUBSCRIBED_SECONDS = 60


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def crash_at(point: str) -> None:
    """Make the Nth non-empty write to the log kill the process before or after it."""
    when, count = point.split(":")
    original = Wal.append
    calls = {"n": 0}

    def append(self: Wal, lines: list[bytes]) -> Any:
        if lines:
            calls["n"] += 1
        hit = calls["n"] == int(count) and bool(lines)
        if hit and when == "before-log":
            die()
        result = original(self, lines)
        if hit and when == "after-log":
            die()
        return result

    Wal.append = append  # type: ignore[method-assign]


def main() -> None:
    project, stream = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3:
        crash_at(sys.argv[3])
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with lakebox.open(project) as lh:
        intake = intake_for(lh, stream)
        assert isinstance(intake, MqttIntake)
        worker = Worker(lh, stream, intake)
        thread = threading.Thread(target=worker.run, args=(stop,))
        thread.start()
        deadline = time.monotonic() + SUBSCRIBED_SECONDS
        while intake.subscriber is None or not intake.subscriber.subscribed.wait(0.05):
            if time.monotonic() > deadline or not thread.is_alive():
                sys.exit("the worker did not subscribe")
        print("subscribed", flush=True)
        thread.join()


if __name__ == "__main__":
    main()
