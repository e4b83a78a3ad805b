"""What formatting a landed object did: its row accounting and its outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

from lakebox.catalog.versions import TableVersion


@dataclass
class Counts:
    """The row accounting of one file."""

    rows_read: int = 0
    rows_formatted: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0


@dataclass
class FormatResult:
    """What formatting one landed object did."""

    batch_id: str
    source: str
    status: str
    counts: Counts
    error: str | None = None
    retried: bool = False  # the object had failed before; this run tried it again
    versions: list[TableVersion] = field(default_factory=list)  # what it committed
