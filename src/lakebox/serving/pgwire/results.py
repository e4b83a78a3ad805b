"""A query's result on the wire: RowDescription fields and DataRow bytes, batch by batch."""

from __future__ import annotations

import pyarrow as pa

from lakebox.serving.pgwire import types
from lakebox.serving.pgwire.messages import Field

TEXT_FORMAT, BINARY_FORMAT = 0, 1


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
        if fmt == BINARY_FORMAT and shown.oid not in types.BINARY_OIDS:
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
        return types.data_rows(cells)

    @staticmethod
    def _cells(column: pa.Array, shown: types.PgType, fmt: int) -> pa.Array:
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if isinstance(column.type, pa.DictionaryType):
            column = column.dictionary_decode()
        if fmt == BINARY_FORMAT:
            return types.binary_cells(column, shown.oid)
        return types.text_cells(column)


def _per_column(formats: list[int], count: int) -> list[int]:
    if not formats:
        return [TEXT_FORMAT] * count
    if len(formats) == 1:
        return formats * count
    return list(formats[:count]) + [TEXT_FORMAT] * max(0, count - len(formats))
