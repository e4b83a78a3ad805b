"""MQTT messages as the write-ahead log's event lines: the key put in from a topic level, a
payload that is not a JSON object kept as it is, an empty or oversized one logged as a JSON
text saying so; and the digests of recent lines, to tell a redelivery from a new message."""

from __future__ import annotations

import hashlib
from collections import Counter, deque

import orjson

from lakebox.config.streams import StreamConfig

_INTEGER_TYPES = ("BIGINT", "INTEGER")


class EventLines:
    """Turns MQTT messages into the log's event lines (see the module's docstring)."""

    def __init__(self, stream: StreamConfig, key_level: int | None) -> None:
        self.key, self.key_level = stream.key, key_level
        self.integer_key = stream.fields[stream.key] in _INTEGER_TYPES
        self.limit = stream.max_event_bytes

    def line(self, topic: str, payload: bytes) -> bytes:
        """Return the log line of a message on `topic` carrying `payload`."""
        if len(payload) > self.limit:
            return marker(
                f"event larger than {self.limit} bytes: an MQTT message of {len(payload)} "
                f"bytes on {topic}"
            )
        if not payload.strip():
            return marker(f"empty MQTT message on {topic}")
        key = self._key(topic)
        if key is None:
            return as_is(payload)
        try:
            event = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return as_is(payload)
        if not isinstance(event, dict):
            return as_is(payload)
        event[self.key] = key
        return orjson.dumps(event)

    def _key(self, topic: str) -> str | int | None:
        if self.key_level is None:
            return None
        levels = topic.split("/")
        if self.key_level >= len(levels):
            return None
        level = levels[self.key_level]
        return int(level) if self.integer_key and level.isdecimal() else level


def marker(text: str) -> bytes:
    """Return a line that is refused as not a JSON object, `text` being its raw event."""
    return orjson.dumps(text)


def as_is(payload: bytes) -> bytes:
    """Return `payload` as one line of UTF-8 text."""
    text = payload.decode("utf-8", errors="replace")
    return text.replace("\r", " ").replace("\n", " ").encode()


class Recent:
    """The last lines logged (their digests), to know a redelivered message already logged."""

    def __init__(self, size: int) -> None:
        self.digests: deque[bytes] = deque()
        self.counts: Counter[bytes] = Counter()
        self.size = size

    def add(self, line: bytes) -> None:
        """Remember `line`, forgetting the oldest past the size."""
        digest = _digest(line)
        self.digests.append(digest)
        self.counts[digest] += 1
        if len(self.digests) > self.size:
            oldest = self.digests.popleft()
            self.counts[oldest] -= 1
            if not self.counts[oldest]:
                del self.counts[oldest]

    def __contains__(self, line: bytes) -> bool:
        return _digest(line) in self.counts


def _digest(line: bytes) -> bytes:
    return hashlib.blake2b(line, digest_size=16).digest()
