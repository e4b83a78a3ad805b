"""`cancelled`: a run asked to stop (SIGTERM from the scheduler at `run_timeout`, or from the
system). The signal handler interrupts the engine and raises `RunTerminated`; code that
swallows that error is caught by the next `check()`, between the steps of the run."""

from __future__ import annotations

from lakebox.errors import RunTerminated
from lakebox.orchestration.deadline import StepTimedOut


class Cancellation:
    """Whether, and why, the run of this process was asked to stop."""

    def __init__(self) -> None:
        self.reason: str | None = None

    def cancel(self, reason: str) -> None:
        """Mark the run as asked to stop."""
        self.reason = reason

    def clear(self) -> None:
        """Forget an earlier request (a new run starts)."""
        self.reason = None

    def check(self) -> None:
        """Raise `RunTerminated` if the run was asked to stop."""
        if self.reason is not None:
            raise RunTerminated(self.reason)


cancelled = Cancellation()


def reason_of(error: BaseException) -> str:
    """Return why a run failed: a termination or timeout hidden behind the error it became
    (DuckDB turns a signal's error into `RuntimeError('Query interrupted')`), else `error`."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, RunTerminated | StepTimedOut):
            return str(seen)
        seen = seen.__cause__ or seen.__context__
    return cancelled.reason or str(error)
