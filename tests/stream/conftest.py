"""Fixtures of the stream tests: the Kafka broker comes from tests/stream/brokers.py."""

from tests.stream.brokers import kafka_broker

__all__ = ["kafka_broker"]
