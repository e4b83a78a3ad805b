"""The ugly-file corpus is what it claims to be, read without lakebox.

Each case is read back with the standard library, pyarrow or python-calamine, every record is
classified by a small reference reading of the counting rules in ``corpus``'s docstring (DuckDB's
TRY_CAST decides what casts), and the counts must equal the ones the case declares.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from python_calamine import CalamineWorkbook

from .corpus import LONG_FIELD_BYTES, CorpusCase, cases, write_corpus

CASES = cases()
BY_NAME = {case.name: case for case in CASES}
NULL_TOKENS = frozenset({"", "NULL", "N/A"})
DUCKDB_TYPES = frozenset({"VARCHAR", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN"})
EXTENSIONS = {
    "csv": ".csv",
    "tsv": ".tsv",
    "json": ".json",
    "ndjson": ".ndjson",
    "parquet": ".parquet",
    "excel": ".xlsx",
}
DELIMITED = [case for case in CASES if case.format in {"csv", "tsv"}]
TEXT = [case for case in CASES if case.format in {"csv", "tsv", "json", "ndjson"}]
UNDECODABLE = {"invalid_utf8"}
ARROW_TYPES = {
    "int64": "BIGINT",
    "string": "VARCHAR",
    "double": "DOUBLE",
    "date32[day]": "DATE",
    "timestamp[us]": "TIMESTAMP",
    "bool": "BOOLEAN",
}
JUNK = re.compile("[\x00\udc80-\udcff]")
COLUMN_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")

Record = list[object] | None  # None: broken before any value is looked at


@pytest.fixture(autouse=True)
def _large_csv_fields() -> Iterator[None]:
    previous = csv.field_size_limit(4 * LONG_FIELD_BYTES)
    yield
    csv.field_size_limit(previous)


@pytest.fixture(scope="module")
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def by_name(*names: str) -> list[CorpusCase]:
    return [BY_NAME[name] for name in names]


def ids(case: CorpusCase) -> str:
    return case.name


# Reference reading


def decoded(case: CorpusCase, errors: str = "surrogateescape") -> str:
    encoding = "utf-8-sig" if case.encoding == "utf-8" else case.encoding
    return case.data.decode(encoding, errors=errors)


def csv_rows(case: CorpusCase, strict: bool = False) -> list[list[str]]:
    """Every non-blank row of a delimited case, header included."""
    stream = io.StringIO(decoded(case), newline="")
    reader = csv.reader(stream, delimiter=case.delimiter, strict=strict)
    return [row for row in reader if row]


def ends_inside_quotes(case: CorpusCase) -> bool:
    try:
        csv_rows(case, strict=True)
    except csv.Error as error:
        return "unexpected end of data" in str(error)
    return False


def fits(row: list[str], width: int) -> bool:
    """A row fits its columns; one trailing empty field too (it holds nothing to lose)."""
    return len(row) == width or (len(row) == width + 1 and row[-1] == "")


def delimited_records(case: CorpusCase) -> list[Record]:
    rows = csv_rows(case)[1 if case.header else 0 :]
    width = len(case.columns)
    records: list[Record] = [
        list(row[:width]) if fits(row, width) and not JUNK.search("".join(row)) else None
        for row in rows
    ]
    if ends_inside_quotes(case):
        records[-1] = None
    return records


def flattened(value: dict, prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            flat |= flattened(item, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = item
    return flat


def json_record(document: dict, case: CorpusCase) -> Record:
    flat = flattened(document)
    assert set(flat) <= set(case.columns), f"{case.name}: undeclared keys {set(flat)}"
    return [flat.get(column) for column in case.columns]


def ndjson_record(line: str, case: CorpusCase) -> Record:
    try:
        document = json.loads(line)
    except json.JSONDecodeError:
        return None
    return json_record(document, case)


def ndjson_records(case: CorpusCase) -> list[Record]:
    lines = decoded(case).split("\n")
    return [ndjson_record(line, case) for line in lines if line.strip()]


def json_records(case: CorpusCase) -> list[Record]:
    return [json_record(document, case) for document in json.loads(case.data)]


def parquet_records(case: CorpusCase) -> list[Record]:
    table = pq.read_table(io.BytesIO(case.data))
    assert table.column_names == list(case.columns)
    return [list(row.values()) for row in table.to_pylist()]


def excel_sheets(case: CorpusCase) -> dict[str, list[list[object]]]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(case.data))
    return {name: workbook.get_sheet_by_name(name).to_python() for name in workbook.sheet_names}


def excel_records(case: CorpusCase) -> list[Record]:
    records: list[Record] = []
    for rows in excel_sheets(case).values():
        assert rows[0] == list(case.columns)
        records += [list(row) for row in rows[1:] if any(cell != "" for cell in row)]
    return records


READERS: dict[str, Callable[[CorpusCase], list[Record]]] = {
    "csv": delimited_records,
    "tsv": delimited_records,
    "ndjson": ndjson_records,
    "json": json_records,
    "parquet": parquet_records,
    "excel": excel_records,
}


def trimmed(value: object) -> object:
    if not isinstance(value, str):
        return value
    value = value.strip()
    return None if value in NULL_TOKENS else value


def cast(duck: duckdb.DuckDBPyConnection, value: object, duckdb_type: str) -> object:
    """The value as DuckDB casts it; ValueError when it will not cast."""
    if value is None or duckdb_type == "VARCHAR":
        return value
    result = duck.execute(f"SELECT TRY_CAST(? AS {duckdb_type})", [value]).fetchone()[0]
    if result is None:
        raise ValueError(f"{value!r} is not a {duckdb_type}")
    return result


def keys(duck: duckdb.DuckDBPyConnection, record: Record, case: CorpusCase) -> tuple | None:
    """(trimmed text, cast values) of a good record; None for a bad one."""
    if record is None:
        return None
    text = tuple(trimmed(value) for value in record)
    try:
        typed = tuple(map(cast, [duck] * len(text), text, case.columns.values()))
    except ValueError:
        return None
    return text, typed


def duplicates(seen_keys: list[tuple]) -> int:
    return len(seen_keys) - len(set(seen_keys))


def reference_counts(duck: duckdb.DuckDBPyConnection, case: CorpusCase) -> dict[str, int]:
    records = READERS[case.format](case)
    good = [key for key in (keys(duck, record, case) for record in records) if key is not None]
    return {
        "records": len(records),
        "bad": len(records) - len(good),
        "duplicates": duplicates([text for text, _ in good]),
        "duplicates_after_cast": duplicates([typed for _, typed in good]),
    }


# The counts


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_declared_counts_match_a_reference_reading(duck, case):
    counts = reference_counts(duck, case)
    assert counts["records"] == case.records
    assert counts["bad"] == case.bad
    assert counts["duplicates"] == case.duplicates


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_duplicates_do_not_depend_on_comparing_text_or_cast_values(duck, case):
    counts = reference_counts(duck, case)
    assert counts["duplicates_after_cast"] == counts["duplicates"]


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_counts_leave_rows_to_format(case):
    assert 0 <= case.bad + case.duplicates < case.records


# Case metadata


def test_names_and_filenames_are_unique_and_match():
    assert len({case.name for case in CASES}) == len(CASES)
    assert all(Path(case.filename).stem == case.name for case in CASES)
    assert all(Path(case.filename).suffix == EXTENSIONS[case.format] for case in CASES)


def test_every_format_is_covered():
    assert {case.format for case in CASES} == set(EXTENSIONS)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_columns_are_snake_case_with_duckdb_types(case):
    assert all(COLUMN_NAME.fullmatch(name) for name in case.columns)
    assert set(case.columns.values()) <= DUCKDB_TYPES


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_files_are_small_except_the_long_field(case):
    if case.name == "long_field":
        assert len(case.data) > 2 * 1024 * 1024
    else:
        assert len(case.data) < 200 * 1024


def test_cases_are_deterministic():
    assert cases() == CASES


def test_write_corpus_writes_every_file(tmp_path):
    written = write_corpus(tmp_path / "corpus")
    assert [case.name for case in written] == [case.name for case in CASES]
    for case in written:
        assert (tmp_path / "corpus" / case.filename).read_bytes() == case.data


# Encodings


@pytest.mark.parametrize("case", TEXT, ids=ids)
def test_only_the_junk_case_fails_strict_decoding(case):
    if case.name in UNDECODABLE:
        with pytest.raises(UnicodeDecodeError):
            decoded(case, errors="strict")
    else:
        decoded(case, errors="strict")


def test_junk_rows_are_the_bad_rows():
    lines = BY_NAME["invalid_utf8"].data.splitlines()
    undecodable = [line for line in lines if not is_utf8(line)]
    with_nul = [line for line in lines if b"\x00" in line]
    assert (len(undecodable), len(with_nul)) == (4, 1)
    assert len(undecodable) + len(with_nul) == BY_NAME["invalid_utf8"].bad


def is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_bom_case_starts_with_the_bom_and_no_other_does():
    assert BY_NAME["utf8_bom"].data.startswith(codecs.BOM_UTF8)
    others = [case for case in CASES if case.name != "utf8_bom"]
    assert not any(case.data.startswith(codecs.BOM_UTF8) for case in others)


def test_cp1252_case_is_not_utf8_and_not_plain_latin1():
    case = BY_NAME["latin1_semicolon"]
    text = decoded(case, errors="strict")
    assert all(char in text for char in "éñü€")
    assert "€" not in case.data.decode("latin-1")
    with pytest.raises(UnicodeDecodeError):
        case.data.decode("utf-8")


# Delimiters, quoting and line structure


@pytest.mark.parametrize("case", [case for case in DELIMITED if case.header], ids=ids)
def test_header_is_the_declared_columns(case):
    assert csv_rows(case)[0] == list(case.columns)


def test_headerless_case_starts_with_data():
    case = BY_NAME["headerless"]
    first = csv_rows(case)[0]
    assert first != list(case.columns)
    assert first[0].isdigit()


@pytest.mark.parametrize(
    ("name", "delimiter"),
    [("tab_separated", "\t"), ("pipe_delimited", "|"), ("latin1_semicolon", ";")],
)
def test_delimiter_is_not_a_comma(name, delimiter):
    case = BY_NAME[name]
    assert case.delimiter == delimiter
    assert decoded(case).splitlines()[0].split(delimiter) == list(case.columns)
    assert any("," in field for row in csv_rows(case) for field in row)


def test_quoted_records_span_several_physical_lines():
    case = BY_NAME["quoted_multiline"]
    fields = [field for row in csv_rows(case) for field in row]
    assert case.data.count(b"\n") > case.records + 1
    assert any("\n\n" in field for field in fields)
    assert any('"' in field and "," in field for field in fields)


def test_ragged_rows_are_both_short_and_long():
    case = BY_NAME["ragged_rows"]
    widths = [len(row) for row in csv_rows(case)]
    assert min(widths) < len(case.columns) < max(widths)


@pytest.mark.parametrize("case", by_name("blank_lines", "crlf_blank_lines"), ids=ids)
def test_blank_lines_are_inside_and_at_the_end(case):
    newline = "\r\n" if case.name.startswith("crlf") else "\n"
    text = decoded(case)
    assert newline * 2 in text.rstrip()
    assert text.endswith(newline * 2)


def test_crlf_case_has_no_bare_line_feed():
    data = BY_NAME["crlf_blank_lines"].data
    assert data.count(b"\n") == data.count(b"\r\n") > 0


def test_long_field_exceeds_duckdb_default_line_size():
    longest = max((field for row in csv_rows(BY_NAME["long_field"]) for field in row), key=len)
    assert len(longest.encode()) >= LONG_FIELD_BYTES > 2 * 1024 * 1024


def test_truncated_case_stops_inside_a_quoted_field():
    case = BY_NAME["truncated"]
    assert not case.data.endswith(b"\n")
    assert case.data.count(b'"') % 2 == 1
    assert ends_inside_quotes(case)


def test_uncastable_case_also_has_null_tokens():
    fields = {field.strip() for row in csv_rows(BY_NAME["uncastable_values"]) for field in row}
    assert fields >= NULL_TOKENS


# JSON, Parquet and Excel


def test_ndjson_has_one_blank_line_one_malformed_line_and_nesting():
    lines = decoded(BY_NAME["ndjson_nested"]).split("\n")[:-1]
    filled = [line for line in lines if line.strip()]
    assert len(lines) - len(filled) == 1
    assert sum(not is_json(line) for line in filled) == 1
    assert isinstance(json.loads(lines[0])["customer"]["address"], dict)


def is_json(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def test_json_array_is_one_document_over_many_lines():
    case = BY_NAME["json_array"]
    assert len(json.loads(case.data)) == case.records
    assert case.data.count(b"\n") > case.records


def test_parquet_row_count_and_types_match():
    case = BY_NAME["parquet_typed"]
    table = pq.read_table(io.BytesIO(case.data))
    assert table.num_rows == case.records
    assert [ARROW_TYPES[str(field.type)] for field in table.schema] == list(case.columns.values())


def test_excel_has_two_sheets_and_an_empty_row():
    sheets = excel_sheets(BY_NAME["excel_two_sheets"])
    assert len(sheets) == 2
    assert any(all(cell == "" for cell in row) for rows in sheets.values() for row in rows)
