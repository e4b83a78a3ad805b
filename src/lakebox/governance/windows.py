"""The streams' window tables in the lineage graph: `exploitation.<stream>_<window>`, each
column linked from the landed field it comes from (the key passed, the time into the window's
bounds, a field into its aggregates) and each moving average from the column it averages."""

from __future__ import annotations

from lakebox.config.streams import StreamConfig
from lakebox.governance.graph import Graph
from lakebox.governance.lineage import landing_ref
from lakebox.stream.tables import window_ref

WINDOWED = "window"  # the event time into a window's start and end
MOVING = "moving average"


def add_stream_windows(graph: Graph, streams: dict[str, StreamConfig]) -> Graph:
    """Add every window table of `streams` to `graph`, linked from its stream's landing
    columns; return the graph."""
    for name, stream in streams.items():
        for window in stream.windows:
            _window(graph, name, stream, window)
    return graph


def _window(graph: Graph, name: str, stream: StreamConfig, window: str) -> None:
    table = window_ref(name, window)
    key, time = _landed(graph, name, stream.key), _landed(graph, name, stream.time)
    graph.link(key, graph.column(table, stream.key), "passed")
    for bound in ("window_start", "window_end"):
        graph.link(time, graph.column(table, bound), WINDOWED)
    graph.column(table, "events_count")  # count(*): no column flows into it
    for field, aggregates in stream.windows[window].aggregates.items():
        for aggregate in aggregates:
            target = graph.column(table, f"{field}_{aggregate}")
            if field in stream.fields:  # a score is computed on the hot path, not landed
                graph.link(_landed(graph, name, field), target, "aggregated")
    for grouping in (key, time):  # one row per key and window
        graph.link(grouping, table.identifier, "grouped")
    for average_name, average in stream.averages.items():
        if average.window == window:
            of = graph.column(table, average.of)
            graph.link(of, graph.column(table, average_name), MOVING)


def _landed(graph: Graph, stream: str, field: str) -> str:
    return graph.column(landing_ref(stream), field, "landing")
