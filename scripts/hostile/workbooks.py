"""Hand-made xlsx workbooks: just the parts a reader needs, so each can be broken on purpose."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELATIONSHIPS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"
SPREADSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml"
CONTENT_TYPES = (
    f'{XML}<Types xmlns="{PACKAGE}/content-types">'
    f'<Default Extension="rels" ContentType="{RELATIONSHIPS_TYPE}"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{SPREADSHEET}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SPREADSHEET}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SPREADSHEET}.sharedStrings+xml"/>'
    "</Types>"
)


def _relationship(number: int, kind: str, target: str) -> str:
    return f'<Relationship Id="rId{number}" Type="{OFFICE}/{kind}" Target="{target}"/>'


ROOT_RELS = (
    f'{XML}<Relationships xmlns="{PACKAGE}/relationships">'
    + _relationship(1, "officeDocument", "xl/workbook.xml")
    + "</Relationships>"
)
WORKBOOK = (
    f'{XML}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{OFFICE}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
    "</workbook>"
)
WORKBOOK_RELS = (
    f'{XML}<Relationships xmlns="{PACKAGE}/relationships">'
    + _relationship(1, "worksheet", "worksheets/sheet1.xml")
    + _relationship(2, "sharedStrings", "sharedStrings.xml")
    + "</Relationships>"
)
SHARED = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2">
<si><t>id</t></si><si><t>name</t></si></sst>"""
SHEET_HEAD = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"""
GOOD_ROWS = (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    '<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="inlineStr"><is><t>a</t></is></c></row>'
)
PADDING_CHUNK = b" " * (1024 * 1024)


def sheet(rows: str = GOOD_ROWS, dimension: str = "A1:B2", tail: str = "</worksheet>") -> str:
    """Return worksheet XML with these rows; `tail` may cut it short on purpose."""
    return f'{SHEET_HEAD}<dimension ref="{dimension}"/><sheetData>{rows}</sheetData>{tail}'


def workbook(sheet_xml: str) -> bytes:
    """Return an xlsx holding one sheet of `sheet_xml`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        _write_parts(book, sheet_xml)
    return buffer.getvalue()


def _write_parts(book: zipfile.ZipFile, sheet_xml: str, sheet_padding: int = 0) -> None:
    book.writestr("[Content_Types].xml", CONTENT_TYPES)
    book.writestr("_rels/.rels", ROOT_RELS)
    book.writestr("xl/workbook.xml", WORKBOOK)
    book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
    book.writestr("xl/sharedStrings.xml", SHARED)
    head, _, tail = sheet_xml.partition("<sheetData>")
    with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
        part.write(head.encode())
        for _ in range(sheet_padding // len(PADDING_CHUNK)):
            part.write(PADDING_CHUNK)  # whitespace between elements: valid XML, huge inflated
        part.write(b"<sheetData>" + tail.encode())


def padded_workbook(path: Path, padding: int) -> None:
    """Write an xlsx whose sheet part inflates to about `padding` bytes (a zip bomb)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        _write_parts(book, sheet(), sheet_padding=padding)


def one_cell_at(reference: str) -> bytes:
    """Return a tiny xlsx whose only data cell sits at `reference` (e.g. XFD1048576)."""
    row = "".join(ch for ch in reference if ch.isdigit())
    rows = f'<row r="{row}"><c r="{reference}"><v>1</v></c></row>'
    return workbook(sheet(rows, dimension=f"A1:{reference}"))


def poison_variants() -> dict[str, bytes]:
    """Return the broken-worksheet workbooks of issue 20, point 1, by name."""
    return {
        "undefined entity": workbook(sheet(GOOD_ROWS.replace("<t>a</t>", "<t>&undefined;</t>"))),
        "truncated <v>": workbook(sheet('<row r="1"><c r="A1"><v>12', tail="")),
        "shared string 999": workbook(
            sheet(GOOD_ROWS.replace('t="s"><v>1</v>', 't="s"><v>999</v>'))
        ),
        "non-numeric <v>": workbook(
            sheet(GOOD_ROWS.replace('<c r="A2"><v>1</v>', '<c r="A2" t="n"><v>abc</v>'))
        ),
    }
