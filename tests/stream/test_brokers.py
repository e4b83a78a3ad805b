"""The Kafka broker fixture: a topic with partitions, keyed JSON in, the same JSON out."""

from __future__ import annotations

import orjson

from tests.stream.brokers import consume_values, create_topic, produce_json


def test_events_go_through_a_consumer_group(kafka_broker: str) -> None:
    topic = create_topic(kafka_broker, partitions=3)
    events = [
        {"device_id": f"d{i % 4}", "ts": f"2026-01-01T00:00:{i:02d}", "pm25": i} for i in range(20)
    ]
    assert produce_json(kafka_broker, topic, events) == 20

    values = consume_values(kafka_broker, topic, count=20)

    assert sorted(orjson.loads(value)["pm25"] for value in values) == list(range(20))


def test_a_group_resumes_after_its_committed_offsets(kafka_broker: str) -> None:
    topic = create_topic(kafka_broker, partitions=2)
    produce_json(kafka_broker, topic, [{"device_id": "a", "n": n} for n in range(5)])
    consume_values(kafka_broker, topic, count=5, group="resume")
    produce_json(kafka_broker, topic, [{"device_id": "a", "n": n} for n in range(5, 8)])

    values = consume_values(kafka_broker, topic, count=3, group="resume")

    assert [orjson.loads(value)["n"] for value in values] == [5, 6, 7]
