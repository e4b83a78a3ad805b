"""Fixtures of the stream tests: a Mosquitto broker, and the Kafka broker of
tests/stream/brokers.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.stream.brokers import kafka_broker
from tests.stream.mosquitto import Mosquitto, broker_url, throwaway_broker

__all__ = ["kafka_broker"]


@pytest.fixture(scope="session")
def mqtt_url() -> Iterator[str]:
    """An MQTT broker's URL: LAKEBOX_TEST_MQTT, else a throwaway Mosquitto on a free port."""
    yield from broker_url()


@pytest.fixture
def own_mosquitto() -> Iterator[Mosquitto]:
    """A throwaway Mosquitto of the test's own, which it may stop and start again."""
    with throwaway_broker() as broker:
        yield broker


@pytest.fixture
def tls_mosquitto() -> Iterator[Mosquitto]:
    """A throwaway Mosquitto with a plain listener and a TLS one (a throwaway CA's)."""
    with throwaway_broker(tls=True) as broker:
        yield broker
