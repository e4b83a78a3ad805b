"""Deliberately ugly input files, each with the record counts the formatter must report.

For every file the formatter lands, ``rows_formatted + rows_quarantined + rows_duplicate ==
rows_read``; a ``CorpusCase`` says what each term must be. How records are counted:

* ``records`` are the data records in the file. A header is not a record. A blank line (an empty
  physical line outside quotes) or an Excel row with no value is not a record. A quoted field that
  spans several physical lines is part of one record. A last record cut off mid-field is a record.
* ``bad`` records must be quarantined: the wrong number of fields (a trailing delimiter adds a
  field), bytes that are invalid in the file's true encoding, a NUL byte, malformed JSON, a value
  that will not cast to its declared DuckDB type, or a last record cut off inside a quoted field.
  A null token (empty, ``NULL``, ``N/A``) is a NULL, never a bad value.
* ``duplicates`` are good records equal to an earlier good record of the same file, comparing
  field values after CSV unquoting and trimming surrounding whitespace. The first occurrence is
  formatted and each later copy is a duplicate. Bad records never count as duplicates: a bad
  record repeated is bad every time. Both sheets of a workbook belong to one file.

So ``records - bad - duplicates`` rows must be formatted. The corpus has no rows that become equal
only after null-token or type normalisation ("10.5" and "10.50", "NULL" and ""), and no duplicate
that crosses Excel sheets, so counting duplicates on trimmed text or on cast values agrees.
"""

from __future__ import annotations

import codecs
import io
import json
import string
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

LONG_FIELD_BYTES = 2_200_000
"""Just over DuckDB's default ``max_line_size`` of 2 MiB, so a reader must raise it."""

PEOPLE_COLUMNS: dict[str, str] = {
    "id": "BIGINT",
    "name": "VARCHAR",
    "city": "VARCHAR",
    "amount": "DOUBLE",
    "signup_date": "DATE",
}

_NAMES = ("Ana", "Ben", "Carol", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jon", "Kim")
_CITIES = ("Lisbon", "Porto", "Paris", "Rome", "Oslo", "Bern", "Vienna", "Prague", "Dublin")


@dataclass(frozen=True)
class CorpusCase:
    """One ugly file and the counts the formatter must report for it."""

    name: str
    filename: str
    data: bytes
    records: int
    bad: int
    duplicates: int
    columns: dict[str, str]
    format: str
    header: bool = True
    encoding: str = "utf-8"
    notes: str = ""
    delimiter: str = ","  # meaningful for csv and tsv only


def cases() -> list[CorpusCase]:
    """Return every corpus case, built afresh and byte-for-byte deterministic."""
    return [build() for build in CASE_BUILDERS]


def write_corpus(folder: Path) -> list[CorpusCase]:
    """Return every corpus case after writing its file into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    built = cases()
    for case in built:
        (folder / case.filename).write_bytes(case.data)
    return built


# Building blocks


def _person(number: int) -> list[str]:
    """Return the clean people row for number; distinct numbers give distinct rows."""
    signup = date(2023, 1, 1) + timedelta(days=number * 3)
    name = _NAMES[number % len(_NAMES)]
    city = _CITIES[number % len(_CITIES)]
    return [str(number), name, city, f"{number * 7.25:.2f}", signup.isoformat()]


def _people(count: int, first: int = 1) -> list[list[str]]:
    """Return count clean people rows numbered from first."""
    return [_person(number) for number in range(first, first + count)]


def _lines(rows: list[list[str] | None], delimiter: str = ",", newline: str = "\n") -> str:
    """Return rows of raw field text as terminated lines; None becomes a blank line."""
    return "".join(newline if row is None else delimiter.join(row) + newline for row in rows)


def _people_csv(rows: list[list[str] | None], delimiter: str = ",", newline: str = "\n") -> str:
    """Return the people header followed by rows, as delimited text."""
    return _lines([list(PEOPLE_COLUMNS), *rows], delimiter, newline)


def _long_text(size: int) -> str:
    """Return size characters of ASCII text with no delimiter, quote or whitespace."""
    alphabet = string.ascii_lowercase + string.digits
    return (alphabet * (size // len(alphabet) + 1))[:size]


# Delimited text cases


def _clean_utf8() -> CorpusCase:
    return CorpusCase(
        name="clean_utf8",
        filename="clean_utf8.csv",
        data=_people_csv(_people(20)).encode(),
        records=20,
        bad=0,
        duplicates=0,
        columns=dict(PEOPLE_COLUMNS),
        format="csv",
        notes="Control case: comma, LF, UTF-8, header, every row good.",
    )


def _utf8_bom() -> CorpusCase:
    accented = [["9", "Zoë", "Łódź", "12.00", "2023-02-01"], ["10", "Søren", "Århus", "13.50", ""]]
    text = _people_csv([*_people(8), *accented])
    return CorpusCase(
        name="utf8_bom",
        filename="utf8_bom.csv",
        data=codecs.BOM_UTF8 + text.encode(),
        records=10,
        bad=0,
        duplicates=0,
        columns=dict(PEOPLE_COLUMNS),
        format="csv",
        notes="Starts with the UTF-8 byte order mark; the first column is 'id', not '\\ufeffid'.",
    )


_CP1252_ROWS = [
    ["1", "José Muñoz", "Málaga", "12.50", "2023-03-01", "prix 12,50 €"],
    ["2", "Zoë Müller", "Zürich", "20.00", "2023-03-02", "Grüße"],
    ["3", "François Lefèvre", "Besançon", "7.25", "2023-03-03", "€ 5 de remise"],
    ["4", "Iñaki Ibáñez", "Bilbao", "99.99", "2023-03-04", "señal"],
    ["5", "Jürgen Groß", "Köln", "15.00", "2023-03-05", "“Sonderpreis” …"],
    ["6", "Renée Dupré", "Orléans", "3.10", "2023-03-06", "cœur"],
    ["7", "Søren Ærø", "Århus", "42.00", "2023-03-07", "Œuvre"],
    ["8", "Ana Núñez", "Cádiz", "8.80", "2023-03-08", "niño"],
]


def _latin1_semicolon() -> CorpusCase:
    columns = {**PEOPLE_COLUMNS, "note": "VARCHAR"}
    text = _lines([list(columns), *_CP1252_ROWS], delimiter=";")
    return CorpusCase(
        name="latin1_semicolon",
        filename="latin1_semicolon.csv",
        data=text.encode("cp1252"),
        records=8,
        bad=0,
        duplicates=0,
        columns=columns,
        format="csv",
        encoding="cp1252",
        delimiter=";",
        notes="Windows-1252, not ISO-8859-1: '€', 'œ', '…' and curly quotes are bytes 0x80-0x9F, "
        "which latin-1 reads as control characters. Commas inside fields are data.",
    )


def _tab_separated() -> CorpusCase:
    columns = {**PEOPLE_COLUMNS, "comment": "VARCHAR"}
    comments = ["late, but polite", "paid in full", "asked for a refund, then cancelled"]
    rows = [[*row, comments[index % 3]] for index, row in enumerate(_people(9))]
    return CorpusCase(
        name="tab_separated",
        filename="tab_separated.tsv",
        data=_lines([list(columns), *rows], delimiter="\t").encode(),
        records=9,
        bad=0,
        duplicates=0,
        columns=columns,
        format="tsv",
        delimiter="\t",
        notes="Tab-separated with commas and spaces inside fields.",
    )


def _pipe_delimited() -> CorpusCase:
    rows = [
        ["1", "Smith, John", "St. Louis", "10.00", "2023-04-01"],
        ["2", "Doe, Jane", "Washington, D.C.", "20.00", "2023-04-02"],
        *_people(6, first=3),
    ]
    return CorpusCase(
        name="pipe_delimited",
        filename="pipe_delimited.csv",
        data=_people_csv(rows, delimiter="|").encode(),
        records=8,
        bad=0,
        duplicates=0,
        columns=dict(PEOPLE_COLUMNS),
        format="csv",
        delimiter="|",
        notes="A .csv file delimited by '|'; unquoted commas are data.",
    )


_MULTILINE_COLUMNS = {
    "id": "BIGINT",
    "name": "VARCHAR",
    "comment": "VARCHAR",
    "amount": "DOUBLE",
    "signup_date": "DATE",
}

_MULTILINE_TEXT = '''\
id,name,comment,amount,signup_date
1,Ana,plain comment,10.00,2023-01-01
2,"Smith, John","Says ""hello"", twice",20.00,2023-01-02
3,Carol,"first line
second line",30.00,2023-01-03
4,Dan,"line one

line three, after a blank line",40.00,2023-01-04
5,"O""Brien, Pat","""quoted"" at the start",50.00,2023-01-05
6,Eve,"",60.00,2023-01-06
7,Fay,"ends with a newline
",70.00,2023-01-07
8,Gus,"a,b,c",80.00,2023-01-08
'''


def _quoted_multiline() -> CorpusCase:
    return CorpusCase(
        name="quoted_multiline",
        filename="quoted_multiline.csv",
        data=_MULTILINE_TEXT.encode(),
        records=8,
        bad=0,
        duplicates=0,
        columns=dict(_MULTILINE_COLUMNS),
        format="csv",
        notes="Quoted delimiters, doubled quotes and quoted newlines: 8 records on 13 data lines. "
        "Record 4 holds an empty physical line inside quotes, which is not a blank line.",
    )


def _ragged_rows() -> CorpusCase:
    people = _people(8)
    rows = [
        *people[:3],
        ["9", "Ivy", "Dublin"],
        *people[3:5],
        ["10"],
        ["11", "Jon", "Vienna", "12.00", "2023-02-01", "extra"],
        *people[5:],
        ["12", "Kim", "Prague", "13.00", "2023-02-02", ""],
    ]
    return CorpusCase(
        name="ragged_rows",
        filename="ragged_rows.csv",
        data=_people_csv(rows).encode(),
        records=12,
        bad=3,
        duplicates=0,
        columns=dict(PEOPLE_COLUMNS),
        format="csv",
        notes="Two rows with too few fields, one with too many. The last row ends in a trailing "
        "comma (an empty sixth field): the reader accepts it as a good row, since the extra "
        "field holds nothing, so nothing is lost.",
    )


def _blank_lines() -> CorpusCase:
    people = _people(8)
    rows = [None, *people[:3], None, None, *people[3:6], None, *people[6:], None, None, None]
    return CorpusCase(
        name="blank_lines",
        filename="blank_lines.csv",
        data=_people_csv(rows).encode(),
        records=8,
        bad=0,
        duplicates=0,
        columns=dict(PEOPLE_COLUMNS),
        format="csv",
        notes="Empty lines right after the header, between rows and three at the end.",
    )


def _crlf_blank_lines() -> CorpusCase:
    people = _people(10)
    rows = [*people[:4], None, *people[4:7], None, None, *people[7:], None, None]
    return CorpusCase(
        name="crlf_blank_lines",
        filename="crlf_blank_lines.csv",
        data=_people_csv(rows, newline="\r\n").encode(),
        records=10,
        bad=0,
        duplicates=0,
        columns=dict(PEOPLE_COLUMNS),
        format="csv",
        notes="Windows line endings (CRLF) throughout, blank CRLF lines inside and at the end.",
    )


_JUNK_ROWS = (
    b"7,Gus\xff,Vienna,12.00,2023-02-01\n",  # 0xFF never occurs in UTF-8
    b"8,Hal,Z\xc3\x28rich,13.00,2023-02-02\n",  # lead byte without its continuation byte
    b"9,I\xc0\xafvy,Prague,14.00,2023-02-03\n",  # overlong encoding of '/'
    b"10,Jon,Dub\xed\xa0\x80lin,15.00,2023-02-04\n",  # UTF-16 surrogate encoded as UTF-8
    b"11,Kim\x00,Oslo,16.00,2023-02-05\n",  # NUL byte: valid UTF-8, never valid text data
)


def _invalid_utf8() -> CorpusCase:
    good = _people_csv([*_people(6), ["12", "Zoë", "Köln", "17.00", "2023-02-06"]]).encode()
    return CorpusCase(
        name="invalid_utf8",
        filename="invalid_utf8.csv",
        data=good + b"".join(_JUNK_ROWS) + b"13,Lou,Bern,18.00,2023-02-07\n",
        records=13,
        bad=5,
        duplicates=0,
        columns=dict(PEOPLE_COLUMNS),
        format="csv",
        notes="UTF-8 with four rows holding invalid byte sequences and one holding a NUL byte; "
        "those five are bad. Rows with valid multi-byte characters are good.",
    )


_DUPLICATES_TEXT = """\
id,name,city,amount,signup_date
1,Ana,Lisbon,10.50,2023-01-01
2,Ben,Porto,20.00,2023-01-02
3,Carol,Paris,30.25,2023-01-03
1,Ana,Lisbon,10.50,2023-01-01
  2 , Ben ,Porto,20.00 ,2023-01-02
3,carol,Paris,30.25,2023-01-03
4,Dan,Rome,40.00,2023-01-04
4,"Dan",Rome,40.00,2023-01-04
5,Eve,Oslo,oops,2023-01-05
5,Eve,Oslo,oops,2023-01-05
1,Ana,Lisbon,10.50,2023-01-01
6,Fay,Bern,60.00,2023-01-06
6,Fay,Bern,60.00,2023-01-07
"""


def _duplicate_rows() -> CorpusCase:
    return CorpusCase(
        name="duplicate_rows",
        filename="duplicate_rows.csv",
        data=_DUPLICATES_TEXT.encode(),
        records=13,
        bad=2,
        duplicates=4,
        columns=dict(PEOPLE_COLUMNS),
        format="csv",
        notes="Duplicates: row 1 twice more, row 2 padded with spaces, row 4 with one field "
        "quoted. Not duplicates: 'carol' (case differs), row 6 (date differs). The repeated "
        "'oops' row is bad both times.",
    )


def _long_field() -> CorpusCase:
    columns = {"id": "BIGINT", "name": "VARCHAR", "description": "VARCHAR", "amount": "DOUBLE"}
    rows = [
        ["1", "Ana", "short", "1.00"],
        ["2", "Ben", "also short", "2.00"],
        ["3", "Carol", _long_text(LONG_FIELD_BYTES), "3.00"],
        ["4", "Dan", "short again", "4.00"],
    ]
    return CorpusCase(
        name="long_field",
        filename="long_field.csv",
        data=_lines([list(columns), *rows]).encode(),
        records=4,
        bad=0,
        duplicates=0,
        columns=columns,
        format="csv",
        notes=f"Record 3 holds a {LONG_FIELD_BYTES:,}-byte field, above DuckDB's default "
        "max_line_size (2 MiB); it is a good row.",
    )


_TRUNCATED_TEXT = '''\
id,name,comment,amount,signup_date
1,Ana,"arrived, thanks",10.00,2023-01-01
2,Ben,"box was ""fine""",20.00,2023-01-02
3,Carol,no comment,30.00,2023-01-03
4,Dan,"two
lines",40.00,2023-01-04
5,Eve,"ok",50.00,2023-01-05
6,Fay,"late, again",60.00,2023-01-06
7,Gus,"Parcel arrived dam'''


def _truncated() -> CorpusCase:
    return CorpusCase(
        name="truncated",
        filename="truncated.csv",
        data=_TRUNCATED_TEXT.encode(),
        records=7,
        bad=1,
        duplicates=0,
        columns=dict(_MULTILINE_COLUMNS),
        format="csv",
        notes="The file stops inside the quoted comment of record 7, with no trailing newline.",
    )


_CAST_COLUMNS = {
    "id": "BIGINT",
    "name": "VARCHAR",
    "amount": "DOUBLE",
    "signup_date": "DATE",
    "active": "BOOLEAN",
    "last_seen": "TIMESTAMP",
}

_CAST_TEXT = """\
id,name,amount,signup_date,active,last_seen
1,Ana,10.50,2023-01-01,true,2023-01-01 08:00:00
2,Ben,"12,5O",2023-01-02,false,2023-01-02 09:30:00
3,Carol,30.25,2023-13-45,true,2023-01-03 10:00:00
yes,Dan,40.00,2023-01-04,false,2023-01-04 11:15:00
5,Eve,NULL,2023-01-05,true,2023-01-05 12:00:00
6,Fay,N/A,N/A,N/A,N/A
7,,,,,
8,Hal,80.00,2023-01-08,maybe,2023-01-08 13:45:00
9,Ivy,90.00,2023-01-09,false,2023-02-30 10:00:00
10,Jon, 100.50 ,2023-01-10,true,2023-01-10 14:00:00
NULL,Kim,110.00,2023-01-11,false,2023-01-11 15:00:00
"""


def _uncastable_values() -> CorpusCase:
    return CorpusCase(
        name="uncastable_values",
        filename="uncastable_values.csv",
        data=_CAST_TEXT.encode(),
        records=11,
        bad=5,
        duplicates=0,
        columns=dict(_CAST_COLUMNS),
        format="csv",
        notes="Bad: '12,5O' (DOUBLE), '2023-13-45' (DATE), 'yes' (BIGINT), 'maybe' (BOOLEAN), "
        "'2023-02-30 10:00:00' (TIMESTAMP). Good: NULL, N/A and empty are nulls, "
        "' 100.50 ' trims to a number, a NULL id is allowed.",
    )


def _headerless() -> CorpusCase:
    return CorpusCase(
        name="headerless",
        filename="headerless.csv",
        data=_lines(_people(8)).encode(),
        records=8,
        bad=0,
        duplicates=0,
        columns=dict(PEOPLE_COLUMNS),
        format="csv",
        header=False,
        notes="No header line: columns are named by their declared order.",
    )


# JSON cases

_NDJSON_COLUMNS = {
    "id": "BIGINT",
    "customer.name": "VARCHAR",
    "customer.address.city": "VARCHAR",
    "amount": "DOUBLE",
    "ordered_on": "DATE",
}


def _order(number: int, name: str, city: str, amount: float) -> dict[str, object]:
    """Return one nested order object for the NDJSON case."""
    ordered_on = date(2023, 1, number).isoformat()
    customer = {"name": name, "address": {"city": city}}
    return {"id": number, "customer": customer, "amount": amount, "ordered_on": ordered_on}


def _ndjson_lines() -> list[str]:
    """Return the NDJSON case's physical lines: one blank, one malformed."""
    without_address = {"id": 3, "customer": {"name": "Carol"}, "amount": 30.25}
    reordered_customer = {"address": {"city": "Bern"}, "name": "Fay"}
    reordered = {
        "ordered_on": "2023-01-06",
        "amount": 60.0,
        "customer": reordered_customer,
        "id": 6,
    }
    return [
        json.dumps(_order(1, "Ana", "Lisbon", 10.5)),
        json.dumps(_order(2, "Ben", "Porto", 20.0)),
        "",
        json.dumps({**without_address, "ordered_on": "2023-01-03"}),
        json.dumps(_order(4, "Dan", "Rome", 40)),
        json.dumps(_order(5, "Eve", "Oslo", 50.5))[:-1],
        json.dumps(reordered),
    ]


def _ndjson_nested() -> CorpusCase:
    return CorpusCase(
        name="ndjson_nested",
        filename="ndjson_nested.ndjson",
        data="".join(line + "\n" for line in _ndjson_lines()).encode(),
        records=6,
        bad=1,
        duplicates=0,
        columns=dict(_NDJSON_COLUMNS),
        format="ndjson",
        notes="Nested objects flatten to dotted columns ('customer.address.city'). One blank "
        "line; record 5 lacks its closing brace (bad); record 3 has no address (a NULL city).",
    )


def _json_array() -> CorpusCase:
    columns = {**PEOPLE_COLUMNS, "active": "BOOLEAN"}
    objects = [
        {
            "id": 1,
            "name": "Ana",
            "city": "Lisbon",
            "amount": 10.5,
            "signup_date": "2023-01-01",
            "active": True,
        },
        {
            "name": "Ben",
            "id": 2,
            "amount": 20,
            "city": "Porto",
            "active": False,
            "signup_date": "2023-01-02",
        },
        {
            "active": True,
            "signup_date": "2023-01-03",
            "amount": 30.25,
            "city": "Paris",
            "name": "Carol",
            "id": 3,
        },
        {
            "id": 4,
            "name": "Dan",
            "city": None,
            "amount": 40.0,
            "signup_date": "2023-01-04",
            "active": None,
        },
        {
            "id": 5,
            "name": "Eve",
            "city": "Oslo",
            "amount": 50.5,
            "signup_date": "2023-01-05",
            "active": False,
        },
    ]
    return CorpusCase(
        name="json_array",
        filename="json_array.json",
        data=json.dumps(objects, indent=2, ensure_ascii=False).encode(),
        records=5,
        bad=0,
        duplicates=0,
        columns=columns,
        format="json",
        notes="One pretty-printed JSON array; key order varies between objects, nulls are native.",
    )


# Binary cases


_PARQUET_COLUMNS = {
    "id": "BIGINT",
    "name": "VARCHAR",
    "amount": "DOUBLE",
    "signup_date": "DATE",
    "last_seen": "TIMESTAMP",
    "active": "BOOLEAN",
}


def _parquet_table() -> pa.Table:
    """Return nine typed rows; the last repeats the third."""
    numbers = [*range(1, 9), 3]
    return pa.table(
        {
            "id": pa.array(numbers, pa.int64()),
            "name": pa.array([_NAMES[n] for n in numbers], pa.string()),
            "amount": pa.array([n * 7.25 if n != 5 else None for n in numbers], pa.float64()),
            "signup_date": pa.array([date(2023, 1, n) for n in numbers], pa.date32()),
            "last_seen": pa.array(
                [datetime(2023, 1, n, 8, n) for n in numbers], pa.timestamp("us")
            ),
            "active": pa.array([n % 2 == 0 for n in numbers], pa.bool_()),
        }
    )


def _parquet_typed() -> CorpusCase:
    buffer = io.BytesIO()
    pq.write_table(_parquet_table(), buffer)
    return CorpusCase(
        name="parquet_typed",
        filename="parquet_typed.parquet",
        data=buffer.getvalue(),
        records=9,
        bad=0,
        duplicates=1,
        columns=dict(_PARQUET_COLUMNS),
        format="parquet",
        notes="Typed Parquet: int64, string, float64 (one null), date32, timestamp[us], bool. "
        "The last row repeats row 3.",
    )


_EXCEL_COLUMNS = {"id": "BIGINT", "name": "VARCHAR", "amount": "DOUBLE", "signup_date": "DATE"}

ExcelRow = tuple[int, str, float, date]

_EXCEL_SHEETS: dict[str, list[ExcelRow | None]] = {
    "january": [
        (1, "Ana", 10.5, date(2023, 1, 1)),
        (2, "Ben", 20.0, date(2023, 1, 2)),
        (3, "Carol", 30.25, date(2023, 1, 3)),
        None,
        (4, "Dan", 40.0, date(2023, 1, 4)),
        (5, "Eve", 50.5, date(2023, 1, 5)),
        (2, "Ben", 20.0, date(2023, 1, 2)),
    ],
    "february": [
        (6, "Fay", 60.0, date(2023, 2, 1)),
        (7, "Gus", 70.0, date(2023, 2, 2)),
        (8, "Hal", 80.0, date(2023, 2, 3)),
        (9, "Ivy", 90.0, date(2023, 2, 4)),
    ],
}


def _write_sheet(workbook: xlsxwriter.Workbook, name: str, rows: list[ExcelRow | None]) -> None:
    """Add a sheet with the header and rows; None leaves the row empty."""
    sheet = workbook.add_worksheet(name)
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, list(_EXCEL_COLUMNS))
    for index, row in enumerate(rows, start=1):
        if row is not None:
            sheet.write_row(index, 0, row[:3])
            sheet.write_datetime(
                index, 3, datetime.combine(row[3], datetime.min.time()), date_format
            )


def _excel_bytes() -> bytes:
    """Return the two-sheet workbook, with fixed metadata so the bytes never change."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties({"created": datetime(2024, 1, 1)})
    for name, rows in _EXCEL_SHEETS.items():
        _write_sheet(workbook, name, rows)
    workbook.close()
    return buffer.getvalue()


def _excel_two_sheets() -> CorpusCase:
    return CorpusCase(
        name="excel_two_sheets",
        filename="excel_two_sheets.xlsx",
        data=_excel_bytes(),
        records=10,
        bad=0,
        duplicates=1,
        columns=dict(_EXCEL_COLUMNS),
        format="excel",
        notes="Sheets 'january' (6 records, an empty row, row 2 repeated) and 'february' "
        "(4 records), each with a header row. Dates are real Excel dates.",
    )


CASE_BUILDERS = (
    _clean_utf8,
    _utf8_bom,
    _latin1_semicolon,
    _tab_separated,
    _pipe_delimited,
    _quoted_multiline,
    _ragged_rows,
    _blank_lines,
    _crlf_blank_lines,
    _invalid_utf8,
    _duplicate_rows,
    _long_field,
    _truncated,
    _uncastable_values,
    _headerless,
    _ndjson_nested,
    _json_array,
    _parquet_typed,
    _excel_two_sheets,
)
