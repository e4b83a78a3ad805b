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
_NOTHING = pa.scalar(b"", LARGE)
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

    def encode(self, batch: pa.RecordBatch) -> bytes:
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


def data_rows(cells: list[pa.Array]) -> bytes:
    """Return DataRow messages for equally long columns of encoded cells, built by Arrow."""
    count = len(cells[0]) if cells else 0
    if count == 0:
        return b""
    prefixed = []
    lengths = np.full(count, 6, dtype=np.int64)
    for column in cells:
        sizes = pc.fill_null(pc.binary_length(column), _NULL_LENGTH).to_numpy()
        lengths += 4 + np.maximum(sizes, 0)
        prefix = _fixed_bytes(sizes.astype(">i4"), 4)
        prefixed.append(pc.binary_join_element_wise(prefix, pc.fill_null(column, b""), _NOTHING))
    header = np.zeros(count, dtype=[("kind", "S1"), ("length", ">i4"), ("columns", ">i2")])
    header["kind"] = b"D"
    header["length"] = lengths
    header["columns"] = len(cells)
    rows = pc.binary_join_element_wise(_fixed_bytes(header, 7), *prefixed, _NOTHING)
    offsets, data = rows.buffers()[1], rows.buffers()[2]
    bounds = np.frombuffer(offsets, dtype=np.int64)[rows.offset : rows.offset + count + 1]
    return data.to_pybytes()[bounds[0] : bounds[-1]]


def _fixed_bytes(values: np.ndarray, width: int) -> pa.Array:
    raw = pa.py_buffer(np.ascontiguousarray(values).tobytes())
    array = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(values), [None, raw])
    return array.cast(LARGE)
