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
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import _wait_for_port, free_port

VARIABLE = "LAKEBOX_TEST_MQTT"
STOP_SECONDS = 10


class Mosquitto:
    """A throwaway Mosquitto on 127.0.0.1: no persistence, anonymous clients, queues deep
    enough that a worker down for a while loses nothing to a queue limit."""

    def __init__(self, tls: bool = False) -> None:
        binary = shutil.which("mosquitto") or _existing("/usr/sbin/mosquitto")
        if binary is None:
            pytest.skip("no mosquitto binary (install Debian's mosquitto package)")
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="lakebox-mosquitto-"))
        os.chmod(self.folder, 0o755)  # the broker may drop root for its own user
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.config = self.folder / "mosquitto.conf"
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true"]
        if self.tls_port is not None:
            _certificates(self.folder)
            lines += [
                f"listener {self.tls_port} 127.0.0.1",
                f"cafile {self.ca_file}",
                f"certfile {self.folder / 'server.crt'}",
                f"keyfile {self.folder / 'server.key'}",
            ]
        lines += ["persistence false", "max_queued_messages 100000"]
        self.config.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def ca_file(self) -> Path:
        """Return the CA certificate the TLS listener's certificate is signed with."""
        return self.folder / "ca.crt"

    @property
    def tls_url(self) -> str:
        """Return the URL of the TLS listener."""
        return f"mqtts://127.0.0.1:{self.tls_port}"

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
        for port in (self.port, self.tls_port):
            if port is not None:
                _wait_for_port(port, self.process, seconds=30)

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


def _certificates(folder: Path) -> None:
    """Make a throwaway CA and a certificate of 127.0.0.1 signed by it, with openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl to make a test certificate")
    (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    for command in (
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
         "-days", "2", "-subj", "/CN=lakebox test CA"],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.cnf"],
    ):  # fmt: skip
        subprocess.run([openssl, *command], cwd=folder, check=True, capture_output=True)
    for name in ("server.key", "server.crt", "ca.crt"):
        os.chmod(folder / name, 0o644)


def _existing(path: str) -> str | None:
    return path if Path(path).exists() else None


def broker_url() -> Iterator[str]:
    """Yield LAKEBOX_TEST_MQTT, else the URL of a throwaway broker running meanwhile."""
    configured = os.environ.get(VARIABLE)
    if configured:
        yield configured
        return
    with throwaway_broker() as broker:
        yield broker.url


@contextmanager
def throwaway_broker(tls: bool = False) -> Iterator[Mosquitto]:
    """Run a throwaway broker meanwhile (a test may stop and start it again), with a TLS
    listener too if `tls`."""
    broker = Mosquitto(tls)
    try:
        broker.start()
        yield broker
    finally:
        broker.remove()
