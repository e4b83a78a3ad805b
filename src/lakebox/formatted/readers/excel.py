"""Excel workbooks: every sheet (or the named ones), values not formulas, blank rows skipped."""

from __future__ import annotations

import itertools
import json
import logging
from datetime import date, datetime, time
from pathlib import Path

import pyarrow as pa
from python_calamine import CalamineWorkbook

from lakebox.config import SourceConfig
from lakebox.engine import DuckDBEngine
from lakebox.errors import FormatError
from lakebox.formatted import isolation
from lakebox.formatted.readers import workbook_limits
from lakebox.formatted.readers.base import RawInput, register, unique_names
from lakebox.ground.sql import quote_identifier

logger = logging.getLogger(__name__)
_TABLES = itertools.count(1)
HEADER_SEARCH_ROWS = 30
_HEADER_ROW = b"lakebox.header_row"  # a sheet table's metadata: the row of its header
_READ_WITH = b"lakebox.read_with"  # the workbook table's: its sheets and their header rows


@register("excel")
def read_excel(engine: DuckDBEngine, path: Path, source: SourceConfig, scratch: Path) -> RawInput:
    """Return the raw input of a workbook: the records of its sheets, one after another. The
    workbook is parsed in a child process (`isolation`) held to the source's limits."""
    number = next(_TABLES)
    out = scratch / f"workbook_{number}.arrow"
    limits = isolation.Limits(source.limits.memory_bytes, source.limits.seconds)
    try:
        isolation.run(
            write_workbook, (path, source, out), limits, scratch / f"workbook_{number}.json"
        )
    except FormatError as error:
        raise type(error)(_named(path, error.message), hint=error.hint, file=str(path)) from error
    with pa.memory_map(str(out)) as source_file:
        table = pa.ipc.open_file(source_file).read_all()
    out.unlink(missing_ok=True)
    info = json.loads((table.schema.metadata or {}).get(_READ_WITH, b"{}"))
    name = f"excel_{number}"
    engine.register_arrow(f"{name}_arrow", table)
    engine.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    engine.unregister(f"{name}_arrow")
    columns = [column for column in table.column_names if not column.startswith("_")]
    if not columns:
        sheets = source.sheets or info.get("sheet_names", [])
        raise FormatError(
            f"{path.name}: no sheet of {', '.join(map(repr, sheets))} holds a table",
            file=str(path),
            hint="a sheet's first non-empty row is its header, the rows below it its records",
        )
    select = ", ".join(quote_identifier(column) for column in columns)
    return RawInput(
        f"SELECT {select}, _ordinal, _line, _sheet FROM {name}",
        columns,
        has_sheet=True,
        temp_tables=[name],
        read_with={"sheets": info["sheets"], "header_rows": info["header_rows"]},
        detected=({"sheets"} if not source.sheets else set())
        | ({"header_rows"} if source.header is not False else set()),
    )


def _named(path: Path, message: str) -> str:
    return message if message.startswith(f"{path.name}: ") else f"{path.name}: {message}"


def write_workbook(path: Path, source: SourceConfig, out: Path) -> None:
    """Parse the workbook at `path` into the Arrow file `out`, its sheets and header rows in
    the schema's metadata: the part of reading that runs in the child process, after the
    sizes the workbook declares are checked (`workbook_limits`)."""
    workbook_limits.check(path, source.limits.unzipped_bytes, source.limits.sheet_cells)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own error types for broken files
        raise FormatError(
            f"{path.name}: not a readable workbook ({error})", file=str(path)
        ) from error
    sheets = source.sheets or workbook.sheet_names
    missing = sorted(set(sheets) - set(workbook.sheet_names))
    if missing:
        raise FormatError(
            f"{path.name}: no sheet named {missing[0]!r}",
            file=str(path),
            hint=f"sheets in the file: {', '.join(workbook.sheet_names)}",
        )
    tables = {sheet: _sheet_table(workbook, sheet, source) for sheet in sheets}
    if not source.sheets:
        tables = _tables_only(path, tables)
    table = _concat(list(tables.values()) or [_empty()])
    info = {"sheets": list(tables), "header_rows": _header_rows(tables), "sheet_names": sheets}
    table = table.replace_schema_metadata({_READ_WITH: json.dumps(info)})
    with pa.OSFile(str(out), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _header_rows(tables: dict[str, pa.Table]) -> dict[str, int | None]:
    """Return each sheet's header row (1-based, as Excel numbers rows; None: no header)."""
    found = {}
    for sheet, table in tables.items():
        row = (table.schema.metadata or {}).get(_HEADER_ROW)
        found[sheet] = int(row) if row else None
    return found


def _sheet_table(workbook: CalamineWorkbook, sheet: str, source: SourceConfig) -> pa.Table:
    """Return a sheet's records: merged cells filled, title rows above the header skipped."""
    worksheet = workbook.get_sheet_by_name(sheet)
    rows = _fill_merged(worksheet.to_python(skip_empty_area=False), worksheet.merged_cell_ranges)
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if _has_value(row)]
    if not numbered:
        return _empty()
    if source.header is False:
        width = max(len(row) for _, row in numbered)
        names = unique_names(list(source.columns) or [f"column_{i + 1}" for i in range(width)])
        body = numbered
    else:
        at = _header_index(numbered)
        names = unique_names([_text(cell) or "" for cell in numbered[at][1]])
        body = numbered[at + 1 :]
    data = {
        name: pa.array([_text(row[i]) if i < len(row) else None for _, row in body], pa.string())
        for i, name in enumerate(names)
    }
    data["_line"] = pa.array([number for number, _ in body], pa.int64())
    data["_sheet"] = pa.array([sheet] * len(body), pa.string())
    header = {} if source.header is False else {_HEADER_ROW: str(numbered[at][0]).encode()}
    return pa.table(data, metadata=header)


def _empty() -> pa.Table:
    return pa.table({"_line": pa.array([], pa.int64()), "_sheet": pa.array([], pa.string())})


def _tables_only(path: Path, tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    """Return the sheets to read when the source names none: those holding a table (a sheet
    of notes, a title or nothing, with no row below its first, is left out); all of them
    must share a column with the first, else the file is refused, naming the odd sheet."""
    kept = {sheet: table for sheet, table in tables.items() if table.num_rows}
    for sheet in set(tables) - set(kept):
        logger.info("%s: sheet %r holds no table below its first row; not read", path.name, sheet)
    if not kept:
        return {}
    first, *others = kept
    columns = _data_columns(kept[first])
    for sheet in others:
        if not columns & _data_columns(kept[sheet]):
            raise FormatError(
                f"{path.name}: sheet {sheet!r} has columns "
                f"({', '.join(sorted(_data_columns(kept[sheet])))}) sharing none with sheet "
                f"{first!r} ({', '.join(sorted(columns))}); lakebox will not stack them",
                file=str(path),
                hint=f"name the sheets to read on the source, e.g. 'sheets: [{first}]', or "
                "give the other sheet a source of its own",
            )
    return kept


def _data_columns(table: pa.Table) -> set[str]:
    return {name for name in table.column_names if not name.startswith("_")}


def _fill_merged(
    rows: list[list[object]], merged: list[tuple[tuple[int, int], tuple[int, int]]]
) -> list[list[object]]:
    """Give every cell of a merged range the value of its top-left cell, as a reader sees it."""
    rows = [list(row) for row in rows]
    for (top, left), (bottom, right) in merged or []:
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = rows[top][left]
        for line in range(top, min(bottom, len(rows) - 1) + 1):
            for column in range(left, min(right, len(rows[line]) - 1) + 1):
                rows[line][column] = value
    return rows


def _header_index(numbered: list[tuple[int, list[object]]]) -> int:
    """Return which non-empty row is the header: the first as wide as half the widest of the
    first rows, so a title or a note above the table is not taken for it."""
    head = numbered[:HEADER_SEARCH_ROWS]
    widths = [sum(1 for cell in row if _text(cell) not in (None, "")) for _, row in head]
    widest = max(widths)
    return next(index for index, width in enumerate(widths) if 2 * width >= widest)


def _concat(tables: list[pa.Table]) -> pa.Table:
    table = pa.concat_tables(tables, promote_options="default")
    ordinal = pa.array(range(1, table.num_rows + 1), pa.int64())
    return table.append_column("_ordinal", ordinal)


def _has_value(row: list[object]) -> bool:
    return any(_text(cell) not in (None, "") for cell in row)


def _text(cell: object) -> str | None:
    """Return a cell as text the way a CSV export would write it."""
    if cell is None or cell == "":
        return None if cell is None else ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ") if cell.time() != time(0) else cell.date().isoformat()
    if isinstance(cell, date | time):
        return cell.isoformat()
    return str(cell)
