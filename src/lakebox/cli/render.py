"""What the CLI shows: Rich tables and progress bars, or JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lakebox.errors import LakeboxError
from lakebox.ground.json import json_default
from lakebox.ground.reporter import NULL_REPORTER, LoggingReporter, Reporter
from lakebox.redaction import scrub

if TYPE_CHECKING:
    import pyarrow as pa

console = Console(soft_wrap=True)
if not console.is_terminal:  # logs and pipes: never squeeze tables to 80 columns
    console = Console(soft_wrap=True, width=200)
errors = Console(stderr=True, soft_wrap=True)
MAX_ROWS_SHOWN = 1000


def show_error(error: LakeboxError | str) -> None:
    """Print `error: <message>` on stderr, its text never read as Rich markup."""
    text = error_text(error) if isinstance(error, LakeboxError) else error
    errors.print(f"[bold red]error:[/] {escape(text)}", highlight=False)


def error_text(error: LakeboxError) -> str:
    """Return `message; hint`, or the hint on a line of its own after a message of several
    lines (a SQL error ending in DuckDB's caret line)."""
    if error.hint and "\n" in error.message:
        return f"{error.message}\n{error.hint}"
    return str(error)


class Output:
    """How one command talks: normal, quiet (errors only) or JSON (for scripts)."""

    def __init__(self, quiet: bool = False, as_json: bool = False) -> None:
        self.quiet = quiet
        self.as_json = as_json

    def say(self, message: str) -> None:
        """Show a line of text (never read as Rich markup) unless quiet or JSON."""
        if not self.quiet and not self.as_json:
            console.print(escape(scrub(message)))

    def warn(self, message: str) -> None:
        """Show a warning on stderr unless JSON (the JSON document carries it)."""
        if not self.as_json:
            errors.print(
                f"warning: {scrub(message)}", style="yellow", markup=False, highlight=False
            )

    def data(self, value: Any) -> None:
        """Print `value` as JSON on stdout (only in JSON mode)."""
        if self.as_json:
            print(scrub(json.dumps(value, default=json_default, indent=2)))

    def table(
        self, title: str, columns: list[str], rows: list[list[Any]], redact: bool = True
    ) -> None:
        """Show a Rich table unless quiet or JSON; values taken from the environment are
        hidden in its cells unless `redact` is false (a query's result is data, shown as is)."""
        if self.quiet or self.as_json:
            return
        shown = scrub if redact else str
        table = Table(title=escape(shown(title)), title_justify="left")
        for column in columns:
            table.add_column(escape(column))
        for row in rows:  # text, never Rich markup: `[a-c]` in a cell stays as it is
            table.add_row(*("" if cell is None else escape(shown(str(cell))) for cell in row))
        console.print(table)

    @contextmanager
    def progress(self) -> Iterator[Reporter]:
        """Yield a reporter drawing one bar per stage (and its item) on a terminal; the log
        gets the progress of a run whose output is not a terminal (the scheduler's)."""
        if self.quiet or self.as_json:
            yield NULL_REPORTER
            return
        if not console.is_terminal:
            yield LoggingReporter()
            return
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bars:
            yield RichReporter(bars)


class RichReporter:
    """A reporter drawing Rich progress bars, one per stage, and printing messages."""

    def __init__(self, bars: Progress) -> None:
        self.bars = bars
        self.tasks: dict[str, Any] = {}

    def progress(self, stage: str, item: str, done: int, total: int) -> None:
        """Move the bar of `stage` to `done` of `total`, naming `item`."""
        task = self.tasks.setdefault(stage, self.bars.add_task(stage, total=total))
        self.bars.update(task, completed=done, total=total, description=f"{stage} {item}")

    def message(self, text: str) -> None:
        """Print `text` above the bars."""
        self.bars.console.print(escape(text))


def arrow_table(output: Output, result: pa.Table, title: str = "") -> None:
    """Show an Arrow table, at most MAX_ROWS_SHOWN rows."""
    from lakebox.engine.values import python_rows

    rows = python_rows(result.slice(0, MAX_ROWS_SHOWN))
    output.table(title, result.column_names, [list(row.values()) for row in rows], redact=False)
    if result.num_rows > MAX_ROWS_SHOWN:
        output.say(f"… {result.num_rows - MAX_ROWS_SHOWN} more rows (use --format csv)")


def plain(value: Any) -> Any:
    """Return dataclasses and enums as plain JSON-able values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {key: plain(item) for key, item in asdict(value).items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value
