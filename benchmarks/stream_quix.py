"""The Quix Streams side of benchmarks/stream.py (runs in .venv-quix, not in lakebox's venv).

    .venv-quix/bin/python benchmarks/stream_quix.py --broker 127.0.0.1:PORT --topic T \
        --group G --events N --out DIR

Reads N JSON events (`device_id`, `ts` ISO text, `pm25`, `co2`) from the topic, in event time
(`ts`), and per device: lands every event in JSON-lines files (Quix's LocalFileSink, one file per
checkpoint and partition, named by its first offset: its landing); closes 1-minute tumbling
windows with the mean and max of pm25 (closed by the partition's watermark, as lakebox does) and
adds a simple moving average of pm25_mean over the device's last 5 closed windows (the
"5-minute moving average"), writing the rows to files as well; raises an alert when pm25 > 35
for 3 events in a row, once per incident, resolved by the next event <= 35. Each alert is
written as one line `device_id ts wall-clock` to DIR/alerts.txt the moment it is raised.

It stops itself after the N-th event (the final checkpoint flushes the sinks) and writes
DIR/result.json: wall-clock and process CPU time at the first event and at the end.
Only the standard library and quixstreams are imported: this venv has nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from quixstreams import Application, State
from quixstreams.dataframe.windows import Max, Mean
from quixstreams.sinks.community.file.formats import JSONFormat
from quixstreams.sinks.community.file.local import LocalFileSink

THRESHOLD = 35.0
RUN_LENGTH = 3
SMA_WINDOWS = 5


def cpu_seconds() -> float:
    """Return this process's user + system CPU time (all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def event_time(value: Any, headers: Any, timestamp: float, timestamp_type: Any) -> int:
    """Return the event's `ts` (ISO 8601, naive = UTC) in epoch milliseconds."""
    return int(datetime.fromisoformat(value["ts"]).timestamp() * 1000)


class Progress:
    """Counts events; records the first one's time and stops the app after the last."""

    def __init__(self, app: Application, events: int) -> None:
        self.app = app
        self.events = events
        self.seen = 0
        self.first: tuple[float, float] | None = None

    def __call__(self, value: Any) -> None:
        self.seen += 1
        if self.first is None:
            self.first = (time.time(), cpu_seconds())
        if self.seen >= self.events:
            self.app.stop()


class Alerts:
    """The 3-in-a-row threshold rule, its run length and open flag kept in Quix's state."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("a", buffering=1)

    def __call__(self, value: Any, state: State) -> None:
        above = value["pm25"] > THRESHOLD
        run = state.get("run", 0) + 1 if above else 0
        state.set("run", run)
        if run == RUN_LENGTH:
            self.file.write(f"{value['device_id']} {value['ts']} {time.time():.6f}\n")


def moving_average(row: dict[str, Any], state: State) -> dict[str, Any]:
    """Add `pm25_ma5`: the mean of pm25_mean over this device's last 5 closed windows."""
    history = [*state.get("means", []), row["pm25_mean"]][-SMA_WINDOWS:]
    state.set("means", history)
    return {**row, "pm25_ma5": sum(history) / len(history)}


def build(app: Application, args: argparse.Namespace, progress: Progress) -> None:
    """Declare the topic and the three branches: landing, windows + average, alerts."""
    topic = app.topic(
        args.topic, value_deserializer="json",
        timestamp_extractor=event_time,
    )  # fmt: skip
    # Tansu 0.6.0's DescribeConfigs leaves retention.ms out; Quix needs it for its changelogs.
    topic.broker_config.extra_config.setdefault("retention.ms", "-1")
    events = app.dataframe(topic)
    events = events.update(progress)
    # The sink allows only [a-zA-Z0-9 ._/] in its path: the run's folder is the working directory.
    events.sink(LocalFileSink(directory="landing", format=JSONFormat()))
    windows = events.tumbling_window(
        timedelta(minutes=1), grace_ms=timedelta(seconds=args.lateness)
    )
    rows = windows.agg(pm25_mean=Mean("pm25"), pm25_max=Max("pm25")).final(
        closing_strategy="partition"
    )
    rows = rows.apply(moving_average, stateful=True)
    rows.sink(LocalFileSink(directory="windows", format=JSONFormat()))
    events.update(Alerts(args.out / "alerts.txt"), stateful=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--lateness", type=float, default=10.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    os.chdir(args.out)
    app = Application(
        broker_address=args.broker,
        consumer_group=args.group,
        auto_offset_reset="earliest",
        state_dir=str(args.out / "state"),
        loglevel="WARNING",
        consumer_extra_config={"fetch.wait.max.ms": 50, "session.timeout.ms": 6000},
    )
    progress = Progress(app, args.events)
    build(app, args, progress)
    app.run()
    end = (time.time(), cpu_seconds())
    first = progress.first or end
    result = {"events": progress.seen, "first_wall": first[0], "first_cpu": first[1],
              "end_wall": end[0], "end_cpu": end[1]}  # fmt: skip
    (args.out / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
