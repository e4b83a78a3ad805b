"""What every intake provides (`Intake`), and the registry each kind enters itself in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from lakebox.stream.events import Record

if TYPE_CHECKING:
    from lakebox.lakehouse import Lakehouse


class Assignee(Protocol):
    """What an intake tells of the partitions it hands over (the worker)."""

    def assign(self, partitions: Sequence[int]) -> dict[int, int]:
        """Take `partitions` over; return the offset to read next in each."""
        ...

    def revoke(self, partitions: Sequence[int]) -> None:
        """Flush and give up `partitions`."""
        ...


class Intake(Protocol):
    """A source of records for one stream's worker, which commits what it made durable."""

    def start(self, assignee: Assignee) -> None:
        """Begin delivering: assign the partitions this worker reads (now or on a rebalance)."""
        ...

    def poll(self, max_records: int, timeout: float) -> list[Record]:
        """Return the next records (up to `max_records`, waiting up to `timeout` seconds)."""
        ...

    def commit(self, partition: int, next_offset: int) -> None:
        """Note that the records of `partition` before `next_offset` need not be read again."""
        ...

    def lag(self) -> dict[int, int]:
        """Return per assigned partition how many records wait to be read."""
        ...

    def close(self) -> None:
        """Stop delivering and release connections."""
        ...


IntakeFactory = Callable[["Lakehouse", str], Intake]
INTAKES: dict[str, IntakeFactory] = {}


def register(kind: str) -> Callable[[IntakeFactory], IntakeFactory]:
    """Register an intake factory under `kind`."""

    def decorate(factory: IntakeFactory) -> IntakeFactory:
        INTAKES[kind] = factory
        return factory

    return decorate
