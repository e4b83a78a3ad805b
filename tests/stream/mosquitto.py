"""A Mosquitto broker for the MQTT tests: the one LAKEBOX_TEST_MQTT names (mqtt://host:port),
else a throwaway one started from Debian's `mosquitto` on a free port of 127.0.0.1 and stopped
by its PID. A throwaway broker can be stopped and started again on the same port, for the
tests of a broker that goes away."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _wait_for_port, free_port

VARIABLE = "LAKEBOX_TEST_MQTT"
STOP_SECONDS = 10


class Mosquitto:
    """A throwaway Mosquitto on 127.0.0.1: no persistence, anonymous clients, queues deep
    enough that a worker down for a while loses nothing to a queue limit."""

    def __init__(self) -> None:
        binary = shutil.which("mosquitto") or _existing("/usr/sbin/mosquitto")
        if binary is None:
            pytest.skip("no mosquitto binary (install Debian's mosquitto package)")
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="lakebox-mosquitto-"))
        self.port = free_port()
        self.config = self.folder / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 100000\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the broker's URL."""
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the broker and wait until it takes connections."""
        log = (self.folder / "mosquitto.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        _wait_for_port(self.port, self.process, seconds=30)

    def stop(self) -> None:
        """Stop the broker by its PID (its sessions and queued messages go with it)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def remove(self) -> None:
        """Stop the broker and remove its folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _existing(path: str) -> str | None:
    return path if Path(path).exists() else None


def broker_url() -> Iterator[str]:
    """Yield LAKEBOX_TEST_MQTT, else the URL of a throwaway broker running meanwhile."""
    configured = os.environ.get(VARIABLE)
    if configured:
        yield configured
        return
    yield from throwaway_broker_url()


def throwaway_broker_url() -> Iterator[str]:
    """Yield the URL of a throwaway broker running meanwhile."""
    broker = Mosquitto()
    try:
        broker.start()
        yield broker.url
    finally:
        broker.remove()


def throwaway_broker() -> Iterator[Mosquitto]:
    """Yield a running throwaway broker (which a test may stop and start again)."""
    broker = Mosquitto()
    try:
        broker.start()
        yield broker
    finally:
        broker.remove()
