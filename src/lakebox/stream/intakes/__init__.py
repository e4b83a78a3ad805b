"""Where a stream's events come from: one module per intake kind, each registering itself in
`base.INTAKES` like a source kind does."""

from __future__ import annotations

import importlib

from lakebox.lakehouse import Lakehouse
from lakebox.stream.intakes.base import INTAKES, Intake

BUILT_IN = ("http", "mqtt", "kafka")


def intake_for(lh: Lakehouse, name: str) -> Intake:
    """Return the intake of stream `name`, as its config declares it."""
    kind = lh.config.streams[name].intake.kind
    if kind in BUILT_IN:
        importlib.import_module(f"lakebox.stream.intakes.{kind}")
    return INTAKES[kind](lh, name)
