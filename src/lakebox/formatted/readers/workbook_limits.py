"""The sizes a workbook declares, checked before a parser allocates for them.

An xlsx file is a zip of XML parts. A few KiB can declare a part of gigabytes (a zip bomb), a
sheet whose used range reaches cell XFD1048576 (17 billion cells, allocated by a parser that
makes the range dense) or a million shared strings. Each is read here in a streaming way, by
the parts' sizes and the cell references in their XML, and refused past the source's caps.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lakebox.errors import ReaderLimitError

CHUNK = 4 * 1024 * 1024
# a part expanding more than this many times over its compressed size, past BIG_PART bytes
MAX_RATIO = 200
BIG_PART = 16 * 1024 * 1024
_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,9})"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s[^>]*?\bref="([A-Z0-9:$]+)"')
_REF = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,9})")
_UNIQUE = re.compile(rb'<(?:\w+:)?sst\s[^>]*?\buniqueCount="([0-9]+)"')
_OVERLAP = 256  # a cell reference cut by a chunk's end is found in the next one


def check(path: Path, unzipped: int, cells: int) -> None:
    """Raise ReaderLimitError if the workbook at `path` holds parts larger than `unzipped`
    bytes in all (or one expanding past MAX_RATIO), or a sheet spanning more than `cells`
    cells from A1 to its last cell. A file that is not a zip (.xls) is left to its reader."""
    if not zipfile.is_zipfile(path):
        return
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        _check_sizes(path, members, unzipped)
        for member in members:
            if re.fullmatch(r"xl/worksheets/[^/]+\.xml", member.filename):
                _check_sheet(path, archive, member, cells)
            elif member.filename == "xl/sharedStrings.xml":
                _check_strings(path, archive, member, cells)


def _check_sizes(path: Path, members: list[zipfile.ZipInfo], unzipped: int) -> None:
    total = sum(member.file_size for member in members)
    if total > unzipped:
        raise ReaderLimitError(
            f"{path.name}: the workbook's parts expand to {total:,} bytes, past the cap of "
            f"{unzipped:,} (limits.unzipped)",
            hint="a zip bomb or a padded file; if the workbook is sound, raise the source's "
            "limits.unzipped",
            file=str(path),
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > BIG_PART and ratio > MAX_RATIO:
            raise ReaderLimitError(
                f"{path.name}: part {member.filename} expands {ratio:,.0f} times "
                f"({member.compress_size:,} → {member.file_size:,} bytes), past {MAX_RATIO}",
                hint="a zip bomb or a padded file; save the workbook again from a spreadsheet",
                file=str(path),
            )


def _check_sheet(path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo, cap: int) -> None:
    """Refuse a sheet whose declared range or any cell reference lies past `cap` cells."""
    rows = columns = 0
    with archive.open(member) as handle:
        tail = b""
        while chunk := handle.read(CHUNK):
            text = tail + chunk
            for found in _DIMENSION.finditer(text):
                for letters, digits in _REF.findall(found.group(1).decode("ascii")):
                    _refuse_past(
                        path,
                        member,
                        "its declared range",
                        cap,
                        int(digits),
                        column_number(letters),
                    )
            matches = _CELL.findall(text)
            if matches:
                rows = max(rows, max(int(digits) for _, digits in matches))
                widest = max((letters for letters, _ in matches), key=lambda x: (len(x), x))
                columns = max(columns, column_number(widest.decode("ascii")))
                _refuse_past(path, member, "its last cell", cap, rows, columns)
            tail = text[-_OVERLAP:]


def _refuse_past(
    path: Path, member: zipfile.ZipInfo, what: str, cap: int, rows: int, columns: int
) -> None:
    if rows * columns > cap:
        raise ReaderLimitError(
            f"{path.name}: sheet part {member.filename} spans {rows:,} rows × {columns:,} "
            f"columns up to cell {column_letters(columns)}{rows} ({what}), past the cap of {cap:,} "
            "cells (limits.sheet_cells)",
            hint="a stray cell far from the table: delete it in the workbook, or raise the "
            "source's limits.sheet_cells",
            file=str(path),
        )


def _check_strings(path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo, cap: int) -> None:
    with archive.open(member) as handle:
        head = handle.read(4096)
    found = _UNIQUE.search(head)
    if found and int(found.group(1)) > cap:
        raise ReaderLimitError(
            f"{path.name}: the workbook declares {int(found.group(1)):,} shared strings, past "
            f"the cap of {cap:,} cells (limits.sheet_cells)",
            file=str(path),
        )


def column_number(letters: str) -> int:
    """Return a column's 1-based number: A → 1, Z → 26, AA → 27, XFD → 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def column_letters(number: int) -> str:
    """Return a column's letters: 1 → A, 27 → AA."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
