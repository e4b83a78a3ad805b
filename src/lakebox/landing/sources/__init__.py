"""Source kinds: each finds new raw objects and copies them into the temporal landing area."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from lakebox.config import SourceConfig


@dataclass(frozen=True)
class Candidate:
    """A raw object a source offers: where it came from and how to fetch it."""

    original_path: str
    name: str
    bytes: int
    modified_at: datetime | None


class SourceKind(Protocol):
    """What every source kind provides (built-ins register like plugins)."""

    def candidates(self, source: SourceConfig, project_dir: Path) -> Iterator[Candidate]:
        """Yield the objects the source offers now."""
        ...

    def fetch(self, candidate: Candidate, target: Path) -> None:
        """Copy the candidate's bytes into the local file `target`."""
        ...


SOURCE_KINDS: dict[str, Callable[[], SourceKind]] = {}


def register(kind: str) -> Callable[[Callable[[], SourceKind]], Callable[[], SourceKind]]:
    """Register a source kind factory under `kind`."""

    def decorate(factory: Callable[[], SourceKind]) -> Callable[[], SourceKind]:
        SOURCE_KINDS[kind] = factory
        return factory

    return decorate


def kind_for(source: SourceConfig) -> SourceKind:
    """Return the source kind implementation of `source`."""
    from lakebox.landing.sources import files  # noqa: F401 - registers the built-in

    return SOURCE_KINDS[source.kind]()
