"""The harness's table: one row per hostile input, and the exit status it adds up to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

MB = 1024 * 1024
HEADINGS = ("#", "input", "outcome", "peak RSS", "seconds", "verdict")
# Outcomes that alone make a row unbounded, whatever the checks say.
UNBOUNDED = frozenset({"CRASH", "TIMEOUT", "OOM", "DISK", "HARNESS ERROR"})


@dataclass
class Row:
    """What one case did: its outcome with the reason given, its cost, and what did not hold."""

    point: str
    name: str
    outcome: str
    detail: str = ""
    peak_rss: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.outcome not in UNBOUNDED

    def cells(self) -> tuple[str, ...]:
        outcome = f"{self.outcome}: {self.detail}" if self.detail else self.outcome
        verdict = "ok" if self.ok else "FAIL: " + "; ".join(self.problems or [self.outcome])
        return (
            self.point,
            self.name,
            outcome,
            f"{self.peak_rss / MB:.0f} MB",
            f"{self.seconds:.1f}",
            verdict,
        )


def _widths(lines: Sequence[tuple[str, ...]], limits: Sequence[int]) -> list[int]:
    return [
        min(limit, max(len(line[index]) for line in lines)) for index, limit in enumerate(limits)
    ]


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table(rows: Sequence[Row], limits: Sequence[int] = (4, 34, 90, 9, 7, 90)) -> str:
    """Return the rows as a plain-text table (cells cut to `limits`), with a summary line."""
    lines = [HEADINGS, *(row.cells() for row in rows)]
    widths = _widths(lines, limits)
    rule = "-+-".join("-" * width for width in widths)
    text = [
        " | ".join(_cut(cell, width).ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in lines
    ]
    failed = sum(not row.ok for row in rows)
    summary = f"{len(rows)} inputs: {len(rows) - failed} bounded and accounted, {failed} not"
    return "\n".join([text[0], rule, *text[1:], rule, summary])


def markdown(rows: Sequence[Row]) -> str:
    """Return the rows as a Markdown table, uncut (for a note or an issue)."""
    lines = ["| " + " | ".join(HEADINGS) + " |", "|" + "---|" * len(HEADINGS)]
    for row in rows:
        cells = (cell.replace("|", "\\|") for cell in row.cells())
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def exit_code(rows: Sequence[Row]) -> int:
    """Return 0 when every row is bounded and accounted, else 1."""
    return 0 if rows and all(row.ok for row in rows) else 1
