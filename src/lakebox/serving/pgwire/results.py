"""A statement's result: its outcome (command tag and rows), and on the wire its RowDescription
fields and DataRow bytes, batch by batch."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakebox.serving.pgwire import types
from lakebox.serving.pgwire.binary_format import BINARY_OIDS, binary_cells
from lakebox.serving.pgwire.messages import Field
from lakebox.serving.pgwire.text_format import LARGE, text_cells
from lakebox.serving.stream import QueryStream

TEXT_FORMAT, BINARY_FORMAT = 0, 1
_NULL_LENGTH = -1


@dataclass
class Outcome:
    """What a statement gave: its command tag and, for a query, its rows as batches."""

    tag: str
    schema: pa.Schema | None = None
    batches: Iterator[pa.RecordBatch] = field(default_factory=lambda: iter(()))
    stream: QueryStream | None = None


class ResultEncoder:
    """Encodes batches of one schema in the formats a client asked for (text by default)."""

    def __init__(self, schema: pa.Schema, formats: list[int] | None = None) -> None:
        self.schema = schema
        self.formats = _per_column(formats or [], len(schema))
        self.types = [
            self._shown(field.type, fmt) for field, fmt in zip(schema, self.formats, strict=True)
        ]

    @staticmethod
    def _shown(arrow: pa.DataType, fmt: int) -> types.PgType:
        shown = types.pg_type(arrow)
        if fmt == BINARY_FORMAT and shown.oid not in BINARY_OIDS:
            return types.PgType(types.TEXT)  # sent as text, whose binary form is its UTF-8
        return shown

    def fields(self) -> list[Field]:
        """Return the RowDescription fields."""
        return [
            Field(field.name, shown.oid, shown.size, shown.modifier, fmt)
            for field, shown, fmt in zip(self.schema, self.types, self.formats, strict=True)
        ]

    def encode(self, batch: pa.RecordBatch) -> bytes | memoryview:
        """Return the DataRow messages of `batch`."""
        cells = [
            self._cells(column, shown, fmt)
            for column, shown, fmt in zip(batch.columns, self.types, self.formats, strict=True)
        ]
        return data_rows(cells)

    @staticmethod
    def _cells(column: pa.Array, shown: types.PgType, fmt: int) -> pa.Array:
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if isinstance(column.type, pa.DictionaryType):
            column = column.dictionary_decode()
        if fmt == BINARY_FORMAT:
            return binary_cells(column, shown.oid)
        return text_cells(column)


def _per_column(formats: list[int], count: int) -> list[int]:
    if not formats:
        return [TEXT_FORMAT] * count
    if len(formats) == 1:
        return formats * count
    return list(formats[:count]) + [TEXT_FORMAT] * max(0, count - len(formats))


def data_rows(cells: list[pa.Array]) -> bytes | memoryview:
    """Return DataRow messages for equally long columns of encoded cells (large_binary):
    each row's header and its cells' lengths as fixed-width blocks built by numpy, and the
    cells as they are, laid out row after row by one Arrow `take` (no Python object per row
    or value)."""
    count = len(cells[0]) if cells else 0
    if count == 0:
        return b""
    sizes = [_sizes(column) for column in cells]
    header = np.zeros(count, dtype=[("kind", "S1"), ("length", ">i4"), ("columns", ">i2")])
    header["kind"], header["columns"] = b"D", len(cells)
    header["length"] = 6 + sum(4 + np.maximum(size, 0) for size in sizes)
    pieces = []
    for index, (column, size) in enumerate(zip(cells, sizes, strict=True)):
        blocks = [header, size.astype(">i4")] if index == 0 else [size.astype(">i4")]
        pieces += [_fixed_bytes(blocks), pc.fill_null(column, b"") if column.null_count else column]
    return _laid_out(pieces, count)


def _sizes(column: pa.Array) -> np.ndarray:
    """Return each cell's length in bytes, -1 for a null (as DataRow gives it)."""
    count = len(column)
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int64)
    sizes = np.diff(offsets[column.offset : column.offset + count + 1])
    if column.null_count:
        sizes = np.where(pc.is_valid(column).to_numpy(zero_copy_only=False), sizes, _NULL_LENGTH)
    return sizes


def _fixed_bytes(blocks: list[np.ndarray]) -> pa.Array:
    """Return the rows of equally long numpy arrays side by side, one binary value a row."""
    count = len(blocks[0])
    raw = np.hstack(
        [np.ascontiguousarray(block).view(np.uint8).reshape(count, -1) for block in blocks]
    )
    width = raw.shape[1]
    offsets = np.arange(0, (count + 1) * width, width, dtype=np.int64)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(raw.reshape(-1))]
    return pa.Array.from_buffers(LARGE, count, buffers)


def _laid_out(pieces: list[pa.Array], count: int) -> memoryview:
    """Return the bytes of every row's pieces in order: row 0's pieces, then row 1's, ..."""
    order = np.arange(count)[:, None] + np.arange(len(pieces))[None, :] * count
    rows = pa.concat_arrays(pieces).take(pa.array(order.ravel()))
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
    start, end = offsets[rows.offset], offsets[rows.offset + len(rows)]
    return memoryview(rows.buffers()[2]).cast("B")[start:end]
