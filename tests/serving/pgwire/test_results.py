"""Encoded cells framed as DataRow messages."""

from __future__ import annotations

import pyarrow as pa

from lakebox.serving.pgwire import results, text_format


def test_data_rows_frame_each_row():
    cells = [
        text_format.text_cells(pa.array([1, None])),
        text_format.text_cells(pa.array(["a", "bc"])),
    ]
    rows = results.data_rows(cells)
    assert rows == (
        b"D\x00\x00\x00\x10\x00\x02\x00\x00\x00\x011\x00\x00\x00\x01a"
        b"D\x00\x00\x00\x10\x00\x02\xff\xff\xff\xff\x00\x00\x00\x02bc"
    )
