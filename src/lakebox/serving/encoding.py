"""Query results as HTTP answers: JSON (columns, rows, count, truncation, time), CSV, Parquet
or a streamed Arrow IPC result; and the dashboards' variants (decimals as JSON numbers, a CSV
file to download).

A CSV answer is meant for a spreadsheet, which runs a cell starting with `=`, `+`, `-`, `@`,
a tab or a carriage return as a formula (CSV injection): such a text cell (or column name)
is written with a single quote before it, quoted, as OWASP advises. Numbers stay numbers.
`csv_raw` writes every value as it is, for programs rather than spreadsheets."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from fastapi.responses import JSONResponse, Response, StreamingResponse

from lakebox.ground.json import json_default, json_ready
from lakebox.serving.queries import QueryResult, QueryService

Format = Literal["json", "csv", "csv_raw", "parquet", "arrow"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "csv_raw": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "arrow": "application/vnd.apache.arrow.stream",
}


def respond(result: QueryResult, output: str) -> Response:
    """Return `result` in format `output`; every format but JSON says in a header whether
    rows were cut."""
    headers = {"X-Lakebox-Truncated": str(result.truncated).lower()}
    if output == "json":
        return json_response(result)
    if output in ("csv", "csv_raw"):
        table = _csv_ready(result.table)
        table = table if output == "csv_raw" else spreadsheet_safe(table)
        sink = io.BytesIO()
        pacsv.write_csv(table, sink)
        return Response(sink.getvalue(), media_type=MEDIA[output], headers=headers)
    if output == "parquet":
        sink = io.BytesIO()
        pq.write_table(result.table, sink)
        return Response(sink.getvalue(), media_type=MEDIA["parquet"], headers=headers)
    return StreamingResponse(
        _arrow_stream(result.table), media_type=MEDIA["arrow"], headers=headers
    )


def _arrow_stream(table: pa.Table) -> Iterator[bytes]:
    """Yield an Arrow IPC stream: the schema, then one chunk per record batch."""
    buffer = io.BytesIO()
    with pa.ipc.new_stream(buffer, table.schema) as writer:
        for batch in table.to_batches(max_chunksize=65_536):
            writer.write_batch(batch)
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.BytesIO) -> bytes:
    data = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return data


def json_response(result: QueryResult, **extra: Any) -> JSONResponse:
    """Return `result` as a JSON answer, with `extra` fields beside its rows."""
    return JSONResponse({**json_body(result), **json_ready(extra)})


def json_body(result: QueryResult) -> dict[str, Any]:
    """Return a result as JSON-ready columns and rows, with its count, truncation and time."""
    return {
        "columns": [{"name": f.name, "type": str(f.type)} for f in result.table.schema],
        "rows": json_ready(result.rows()),
        "row_count": result.table.num_rows,
        "truncated": result.truncated,
        "seconds": round(result.seconds, 3),
        **({"notice": result.notice} if result.notice else {}),
    }


def trusted(queries: QueryService, sql: str, limit: int) -> QueryResult:
    """Run lakebox's own `sql` (not a user's) for at most `limit` rows. It bypasses the
    user's grants: a door reads a table through the user's view of it
    (`lakebox.serving.grants.secured_source`) before it shows its rows."""
    started = time.monotonic()
    table = queries.catalog(f"SELECT * FROM ({sql}) LIMIT {int(limit) + 1}")
    truncated = table.num_rows > limit
    return QueryResult(table.slice(0, limit), truncated, time.monotonic() - started)


def json_numbers(value: Any) -> Any:
    """Return `value` as JSON types: decimals (e.g. a sum of BIGINTs) as numbers, dates as ISO
    text; NaN and infinities (not JSON) become null."""
    text = json.dumps(value, default=_json_value)
    return json.loads(text, parse_constant=lambda _: None)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return json_default(value)


def csv_download(result: QueryResult, filename: str, raw: bool = False) -> Response:
    """Return `result` as a CSV file to download (nested values as JSON text), safe to open
    in a spreadsheet unless `raw` (see `spreadsheet_safe`)."""
    table = _csv_ready(result.table)
    sink = io.BytesIO()
    pacsv.write_csv(table if raw else spreadsheet_safe(table), sink)
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Lakebox-Truncated": str(result.truncated).lower(),
    }
    return Response(sink.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def _csv_ready(table: pa.Table) -> pa.Table:
    """Return `table` with the columns CSV cannot hold (lists, structs) as JSON text."""
    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_nested(field.type):
            column = pa.array([_cell_json(v) for v in column.to_pylist()], pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _cell_json(value: Any) -> str | None:
    return None if value is None else json.dumps(json_numbers(value))


# What a spreadsheet takes for the start of a formula (OWASP, CSV injection).
FORMULA_START = r"^([=+\-@\t\r])"


def spreadsheet_safe(table: pa.Table) -> pa.Table:
    """Return `table` with every text cell and column name a spreadsheet would run as a
    formula (it starts with = + - @, a tab or a carriage return) led by a single quote; the
    CSV writer quotes every text cell. Numbers, dates and other typed values are unchanged,
    so -5 in a numeric column stays a number."""
    columns = [_neutralised(column) for column in table.columns]
    names = [_neutralised_text(name) for name in table.column_names]
    return pa.table(columns, names=names)


def _neutralised(column: pa.ChunkedArray) -> pa.ChunkedArray:
    kind = column.type
    if pa.types.is_dictionary(kind) and _is_text(kind.value_type):
        column = column.cast(kind.value_type)
    elif not _is_text(kind):
        return column
    return pc.replace_substring_regex(column, pattern=FORMULA_START, replacement="'\\1")


def _neutralised_text(text: str) -> str:
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)
