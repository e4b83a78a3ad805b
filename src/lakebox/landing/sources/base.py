"""What every source kind shares: the objects it offers (`Candidate`), what fetching one found
(`Fetched`), what it works with (`SourceContext`), its protocol (`SourceKind`) and the registry
each kind enters itself in (`register`). Source kinds import this module; the package's
`kind_for` imports the kinds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from lakebox.config import SourceConfig

if TYPE_CHECKING:
    from lakebox.lakehouse import Lakehouse
    from lakebox.landing.state import Cursor, Window


@dataclass(frozen=True)
class Candidate:
    """A raw object a source offers: where it came from and how to fetch it."""

    original_path: str
    name: str
    bytes: int
    modified_at: datetime | None
    pulled: bool = False  # a pull: never skipped as unchanged, fetched to see what is new
    skip: str | None = None  # why the object is not landed now (still being written, a link
    # out of the source's folder, not a regular file); it is reported, not fetched


@dataclass
class Fetched:
    """What fetching a candidate found (beyond its bytes)."""

    rows: int | None = None  # records extracted, when the source knows (0: nothing new)
    cursor: Cursor | None = None  # the state this object brings the source to
    http_status: int | None = None
    pages: int | None = None
    final_url: str | None = None  # an HTTP pull's last page's URL after redirects
    partial: str | None = None  # why a pull stopped part way (what it fetched is landed)
    unsettled: str | None = None  # the object changed while it was read: not landed now


@dataclass(frozen=True)
class SourceContext:
    """What a source kind gets to work with: its name, config, lakehouse and state (or, for
    a backfill, the window of cursor values to pull instead)."""

    name: str
    source: SourceConfig
    lh: Lakehouse
    start: Cursor | None = None  # where an incremental pull starts (None: from the beginning)
    window: Window | None = None  # a backfill: only cursors in [start, end), `start` unused


class SourceKind(Protocol):
    """What every source kind provides (built-ins register like plugins)."""

    def candidates(self) -> Iterator[Candidate]:
        """Yield the objects the source offers now."""
        ...

    def fetch(self, candidate: Candidate, target: Path) -> Fetched:
        """Copy the candidate's bytes into the local file `target`."""
        ...


SourceFactory = Callable[[SourceContext], SourceKind]
SOURCE_KINDS: dict[str, SourceFactory] = {}


def register(*kinds: str) -> Callable[[SourceFactory], SourceFactory]:
    """Register a source kind factory under each of `kinds`."""

    def decorate(factory: SourceFactory) -> SourceFactory:
        for kind in kinds:
            SOURCE_KINDS[kind] = factory
        return factory

    return decorate
