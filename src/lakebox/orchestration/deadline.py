"""`deadline`: an attempt of a step stopped when its timeout is up (`StepTimedOut`)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from lakebox.lakehouse import Lakehouse

logger = logging.getLogger(__name__)
_WARNED: set[str] = set()  # off the main thread, each step's warning is logged once


class StepTimedOut(BaseException):
    """An attempt ran past its timeout (a BaseException, so no step code swallows it)."""


@contextmanager
def deadline(lh: Lakehouse, seconds: float | None, what: str) -> Iterator[None]:
    """Stop the block after `seconds` with `StepTimedOut`: a timer signal interrupts the
    engine's running query and raises, again every second until the block ends (code that
    swallows an error cannot outlive it), and whatever the block raises once the time is up
    becomes `StepTimedOut`. It needs the main thread (a signal); elsewhere it is not
    enforced. A timer the process already has (pytest-timeout's, Airflow's) is kept: if it
    is due first, it applies; otherwise it is re-armed, less the time spent, at the end."""
    if seconds is None:
        yield
        return
    if threading.current_thread() is not threading.main_thread():
        if what not in _WARNED:
            _WARNED.add(what)
            logger.warning("%s: timeouts are enforced on the main thread only", what)
        yield
        return
    host_left, host_interval = signal.getitimer(signal.ITIMER_REAL)
    if host_left and host_left <= seconds:
        yield
        return
    message = f"timed out after {seconds:g}s"
    expired = threading.Event()

    def expire(signum: int, frame: object) -> None:
        expired.set()
        lh.engine.connection.interrupt()
        raise StepTimedOut(message)

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    except BaseException as error:
        if expired.is_set() and not isinstance(error, StepTimedOut):
            raise StepTimedOut(message) from error
        raise
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if signal.SIGALRM in signal.sigpending():  # arrived while cleaning up: ours
                signal.sigwait({signal.SIGALRM})
            signal.signal(signal.SIGALRM, previous)
            if host_left:
                left = max(host_left - (time.monotonic() - started), 0.001)
                signal.setitimer(signal.ITIMER_REAL, left, host_interval)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})
    if expired.is_set():  # the block swallowed the signal's error and ended late
        raise StepTimedOut(message)
