"""Prometheus metrics of a project's streams, read from their workers' status files on every
scrape: events in, refused and late (counters), and the lag, the last flush's time, the
checkpoint's age, the intake rate, the watermark and whether a worker is running (gauges),
each labelled by stream. `lakebox serve` adds the collector to its registry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from lakebox.lakehouse import Lakehouse
from lakebox.stream.status import StreamStatus, read_status

LABELS = ["stream"]


class StreamCollector(Collector):
    """Yields the metrics of every stream declared in one lakehouse's config."""

    def __init__(self, lh: Lakehouse) -> None:
        self.lh = lh

    def collect(self) -> Iterator[Metric]:
        statuses = [read_status(self.lh, name) for name in sorted(self.lh.config.streams)]
        yield from stream_metrics(statuses)


def stream_metrics(statuses: list[StreamStatus]) -> list[Metric]:
    """Return the metric families of `statuses`, one sample per stream (a gauge whose value
    is not known yet, such as the flush time before the first flush, has no sample)."""
    families = _families()
    for status in statuses:
        for family, value in zip(families, _values(status), strict=True):
            if value is not None:
                family.add_metric([status.name], value)
    return families


def _families() -> list[Metric]:
    counter, gauge = CounterMetricFamily, GaugeMetricFamily
    return [
        counter("lakebox_stream_events", "Events taken in (accepted and refused)", labels=LABELS),
        counter("lakebox_stream_refused", "Events refused (malformed)", labels=LABELS),
        counter("lakebox_stream_late", "Events later than the allowed lateness", labels=LABELS),
        counter("lakebox_stream_windows_closed", "Windows closed", labels=LABELS),
        gauge("lakebox_stream_lag", "Events waiting to be read by the worker", labels=LABELS),
        gauge("lakebox_stream_rate", "Events taken in per second, lately", labels=LABELS),
        gauge("lakebox_stream_flush_seconds", "Seconds the last flush took", labels=LABELS),
        gauge(
            "lakebox_stream_checkpoint_age_seconds",
            "Seconds since the last checkpoint",
            labels=LABELS,
        ),
        gauge(
            "lakebox_stream_watermark_timestamp_seconds",
            "Unix time of the stream's watermark",
            labels=LABELS,
        ),
        gauge(
            "lakebox_stream_running",
            "1 while a worker writes the stream's status, else 0",
            labels=LABELS,
        ),
    ]


def _values(status: StreamStatus) -> list[float | None]:
    watermark = status.watermark
    return [
        status.events_in,
        status.refused,
        status.late,
        status.windows_closed,
        status.lag,
        status.rate,
        status.last_flush_seconds,
        status.checkpoint_age,
        datetime.fromisoformat(watermark).timestamp() if watermark else None,
        int(status.running),
    ]
