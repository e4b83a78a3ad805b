"""The streams' Prometheus collector over a real project: events taken by the HTTP intake into
the write-ahead log, the real worker run over them, then a scrape of a registry holding the
collector (parsed back with prometheus-client's own parser)."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from lakebox.stream.intakes.http import HttpIntake
from lakebox.stream.metrics import StreamCollector
from tests.stream.sample import (
    LATE,
    REFUSED,
    body,
    first_round,
    run_worker,
    second_round,
    stream_project,
)


@pytest.fixture
def lh(make_project):
    return stream_project(make_project)


@pytest.fixture
def intake(lh):
    opened = HttpIntake(lh, "air")
    yield opened
    opened.close()


def scrape(lh) -> dict[tuple[str, str], float]:
    """Return {(sample name, stream): value} of one scrape of the streams' collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StreamCollector(lh))
    text = generate_latest(registry).decode()
    return {
        (sample.name, sample.labels["stream"]): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.name.endswith("_created")
    }


def test_a_stream_never_run_counts_nothing_and_is_not_running(lh):
    samples = scrape(lh)
    for stream in ("air", "meters"):
        assert samples["lakebox_stream_events_total", stream] == 0
        assert samples["lakebox_stream_running", stream] == 0
        assert ("lakebox_stream_flush_seconds", stream) not in samples
        assert ("lakebox_stream_checkpoint_age_seconds", stream) not in samples


def test_the_counters_follow_the_worker_across_restarts(lh, intake):
    intake.accept(body([*first_round(), LATE, REFUSED]).encode())
    run_worker(lh)
    samples = scrape(lh)
    assert samples["lakebox_stream_events_total", "air"] == 22
    assert samples["lakebox_stream_refused_total", "air"] == 1
    assert samples["lakebox_stream_late_total", "air"] == 1
    assert samples["lakebox_stream_windows_closed_total", "air"] == 2 * 4 + 2 * 4
    assert samples["lakebox_stream_lag", "air"] == 0
    assert samples["lakebox_stream_running", "air"] == 0  # the worker ran, then stopped
    assert samples["lakebox_stream_flush_seconds", "air"] > 0
    assert samples["lakebox_stream_checkpoint_age_seconds", "air"] >= 0
    assert samples["lakebox_stream_watermark_timestamp_seconds", "air"] == 1767225870.0
    assert samples["lakebox_stream_events_total", "meters"] == 0

    intake.accept(body(second_round()).encode())
    run_worker(lh)  # a new worker: its partition's counters come back from the checkpoint
    samples = scrape(lh)
    assert samples["lakebox_stream_events_total", "air"] == 28
    assert samples["lakebox_stream_late_total", "air"] == 1
