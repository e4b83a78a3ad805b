"""`Reporter`: how long-running work tells whoever started it how far it got.

Library code reports the progress of a stage (`land`, `format`, `build`, `backtest`, …) item
by item, and the odd message meant for the user; it never prints. The caller picks where
that goes: nowhere (`NULL_REPORTER`), the log (`LoggingReporter`, for runs started by
`lakebox serve` or the scheduler), a list (`CapturingReporter`, for tests) or progress bars
(the CLI's Rich reporter).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol


class Reporter(Protocol):
    """What work reports while it runs."""

    def progress(self, stage: str, item: str, done: int, total: int) -> None:
        """Report that `done` of the `total` items of `stage` are done, the last `item`."""
        ...

    def message(self, text: str) -> None:
        """Report something the user should read (not a diagnostic: those are logged)."""
        ...


class NullReporter:
    """A reporter that drops everything: the default when nobody watches."""

    def progress(self, stage: str, item: str, done: int, total: int) -> None:
        """Drop the progress."""

    def message(self, text: str) -> None:
        """Drop the message."""


NULL_REPORTER = NullReporter()


class LoggingReporter:
    """A reporter writing to a logger: progress at DEBUG, messages at INFO."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger(__name__)

    def progress(self, stage: str, item: str, done: int, total: int) -> None:
        """Log the progress at DEBUG."""
        self.logger.debug("%s %s: %d of %d", stage, item, done, total)

    def message(self, text: str) -> None:
        """Log the message at INFO."""
        self.logger.info("%s", text)


@dataclass
class CapturingReporter:
    """A reporter keeping what it is told, in order, for a test to read."""

    steps: list[tuple[str, str, int, int]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def progress(self, stage: str, item: str, done: int, total: int) -> None:
        """Keep the progress."""
        self.steps.append((stage, item, done, total))

    def message(self, text: str) -> None:
        """Keep the message."""
        self.messages.append(text)
