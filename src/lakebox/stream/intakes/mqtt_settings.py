"""An MQTT intake's settings: the broker's address and credentials from `intake.url`, the
client's options from `intake.options` (client id, session expiry, receive maximum,
keepalive, protocol, CA file, reconnect wait), checked with errors naming the option."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho

from lakebox.config.durations import duration_seconds
from lakebox.errors import StreamError
from lakebox.lakehouse import Lakehouse
from lakebox.redaction import redact_url

PORTS = {"mqtt": 1883, "mqtts": 8883}
PROTOCOLS = {"5": paho.MQTTv5, "3.1.1": paho.MQTTv311}
NEVER_EXPIRES = 0xFFFFFFFF  # MQTT 5's session expiry interval meaning "never"
OPTIONS = {
    "client_id": "the session's client id (default: lakebox-<project>-<stream>-<hash of path>)",
    "keepalive": "seconds between pings (default 60)",
    "session_expiry": "how long the broker keeps the session while the worker is away "
    "(a duration, or 'never', the default; MQTT 5)",
    "receive_maximum": "messages in flight unacknowledged at once (default 1000)",
    "protocol": "'5' (default) or '3.1.1'",
    "ca_file": "CA certificates to trust for mqtts:// (default: the system's)",
    "reconnect_max": "longest wait between reconnection attempts (default 60s)",
}


@dataclass(frozen=True)
class MqttSettings:
    """Where and how an MQTT stream connects: the broker, the session and the subscription."""

    url: str
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    topics: tuple[str, ...]
    qos: int
    client_id: str
    protocol: int
    keepalive: int = 60
    session_expiry: int = NEVER_EXPIRES
    receive_maximum: int = 1000
    ca_file: str | None = None
    reconnect_max: int = 60

    @property
    def shown(self) -> str:
        """Return the broker's URL without its password."""
        return redact_url(self.url, (self.password or "",))


def settings_of(lh: Lakehouse, name: str) -> MqttSettings:
    """Return how stream `name` connects, from its intake's config."""
    intake = lh.config.streams[name].intake
    url = str(intake.url)
    parts = urlsplit(url)
    if parts.scheme not in PORTS or not parts.hostname:
        raise StreamError(
            f"stream {name!r}: MQTT url {redact_url(url)!r} is not mqtt://host:port or "
            "mqtts://host:port"
        )
    options = _options(name, intake.options)
    return MqttSettings(
        url=url,
        host=parts.hostname,
        port=parts.port or PORTS[parts.scheme],
        tls=parts.scheme == "mqtts",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        topics=tuple(intake.topics),
        qos=min(intake.qos, 1),
        client_id=str(options.pop("client_id", None) or default_client_id(lh, name)),
        protocol=_protocol(name, options.pop("protocol", "5")),
        **options,
    )


def default_client_id(lh: Lakehouse, name: str) -> str:
    """Return the client id a stream's session keeps: one per project folder and stream."""
    folder = hashlib.sha256(str(lh.project_dir).encode()).hexdigest()[:8]
    return f"lakebox-{lh.config.name}-{name}-{folder}"


def _options(name: str, options: dict[str, str | int | float | bool]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise StreamError(
            f"stream {name!r}: unknown MQTT option {unknown[0]!r}",
            hint=f"the MQTT intake's options are {', '.join(OPTIONS)}",
        )
    chosen: dict[str, Any] = dict(options)
    try:
        if "session_expiry" in chosen:
            chosen["session_expiry"] = _expiry(chosen["session_expiry"])
        if "reconnect_max" in chosen:
            chosen["reconnect_max"] = max(1, round(duration_seconds(chosen["reconnect_max"])))
        for key in ("keepalive", "receive_maximum"):
            if key in chosen:
                chosen[key] = _whole(key, chosen[key])
    except ValueError as error:
        raise StreamError(f"stream {name!r}: MQTT option: {error}") from None
    return chosen


def _expiry(value: str | int | float | bool) -> int:
    if str(value).strip().lower() == "never":
        return NEVER_EXPIRES
    return min(NEVER_EXPIRES - 1, round(duration_seconds(value)))  # type: ignore[arg-type]


def _whole(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"{key} {value!r} must be a whole number from 1 to 65535")
    return value


def _protocol(name: str, value: object) -> int:
    protocol = PROTOCOLS.get(str(value))
    if protocol is None:
        raise StreamError(f"stream {name!r}: MQTT protocol {value!r} is not '5' or '3.1.1'")
    return protocol
