"""Arrow columns in PostgreSQL's text format."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from lakebox.serving.pgwire import text_format


def test_text_cells():
    def text(values, kind):
        return text_format.text_cells(pa.array(values, kind)).to_pylist()

    moment = dt.datetime(2024, 1, 2, 3, 4, 5, 600)
    assert text([True, None], pa.bool_()) == [b"t", None]
    assert text([1.5, float("inf"), float("nan")], pa.float64()) == [b"1.5", b"Infinity", b"NaN"]
    assert text([moment], pa.timestamp("us", tz="UTC")) == [b"2024-01-02 03:04:05.0006+00"]
    assert text([moment], pa.timestamp("ns")) == [b"2024-01-02 03:04:05.0006"]
    assert text([b"\x01"], pa.binary()) == [b"\\x01"]
    assert text([[1, None], []], pa.list_(pa.int64())) == [b"{1,NULL}", b"{}"]
    assert text([["a b", 'q"', "NULL"]], pa.list_(pa.string())) == [b'{"a b","q\\"","NULL"}']
    assert text([[[1]]], pa.list_(pa.list_(pa.int64()))) == [b"[[1]]"]
    assert text([[("k", 1)]], pa.map_(pa.string(), pa.int64())) == [b'{"k":1}']


def test_bytea_text_is_hex_built_from_buffers():
    values = [b"\x01\x02\xff", b"", None, b"\\x"]
    cells = text_format.text_cells(pa.array(values, pa.binary()))
    assert cells.to_pylist() == [b"\\x0102ff", b"\\x", None, b"\\x5c78"]
    sliced = text_format.text_cells(pa.array(values, pa.large_binary()).slice(2))
    assert sliced.to_pylist() == [None, b"\\x5c78"]
