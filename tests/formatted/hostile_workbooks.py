"""Workbooks written part by part, so a test can make one broken or hostile on purpose."""

from __future__ import annotations

import zipfile
from pathlib import Path

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/></Types>'
)
_ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS}"><Relationship '
    f'Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS}"><Relationship '
    f'Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/><Relationship '
    f'Id="rId2" Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_STRINGS = (
    f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{_MAIN}" count="2" uniqueCount="2">'
    "<si><t>name</t></si><si><t>qty</t></si></sst>"
)
# a header (two shared strings) and one record
ROWS = (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>bolt</t></is></c><c r="B2"><v>3</v></c></row>'
)


def sheet(rows: str = ROWS, dimension: str = "A1:B2", padding: int = 0) -> str:
    """Return a worksheet's XML holding `rows`, declaring `dimension`, padded with spaces."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}"><dimension '
        f'ref="{dimension}"/>{" " * padding}<sheetData>{rows}</sheetData></worksheet>'
    )


def write_workbook(path: Path, worksheet: str) -> Path:
    """Write an xlsx file at `path` whose one sheet is `worksheet` (XML text)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = {
        "[Content_Types].xml": _TYPES,
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _WORKBOOK,
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS,
        "xl/sharedStrings.xml": _STRINGS,
        "xl/worksheets/sheet1.xml": worksheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path
