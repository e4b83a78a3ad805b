"""Retrying a source's calls: exponential backoff, or the wait the server asked for."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from lakebox.config import SourceConfig
from lakebox.errors import LakeboxError

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Transient(Exception):
    """Raised inside a retried call: the attempt failed in a way worth trying again."""

    def __init__(self, error: LakeboxError, wait: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.wait = wait


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing call is tried again."""

    retries: int = 4
    backoff: float = 1.0
    max_backoff: float = 60.0

    @classmethod
    def of(cls, source: SourceConfig) -> RetryPolicy:
        """Return the policy a source configures."""
        return cls(source.retries, source.backoff, source.max_backoff)

    def delay(self, attempt: int, asked: float | None = None) -> float:
        """Return the wait before retry number `attempt` (0-based): what the server asked
        for, else backoff × 2^attempt; never more than `max_backoff`."""
        wanted = asked if asked is not None else self.backoff * 2**attempt
        return max(0.0, min(wanted, self.max_backoff))


def call_with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Return `call()`, trying again after each Transient failure as `policy` allows; when
    attempts run out, raise the last failure's error saying how many were made."""
    for attempt in range(policy.retries + 1):
        try:
            return call()
        except Transient as failure:
            if attempt == policy.retries:
                error = failure.error
                if policy.retries:
                    message = f"{error.message} (gave up after {attempt + 1} attempts)"
                    error = type(error)(message, hint=error.hint, **error.fields)
                raise error from failure.error
            delay = policy.delay(attempt, failure.wait)
            logger.warning("%s: %s; retrying in %.1f s", what, failure.error, delay)
            sleep(delay)
    raise AssertionError("unreachable")
