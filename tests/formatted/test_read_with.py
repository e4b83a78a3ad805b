"""What formatting records of how it read each landed object (the manifest's `read_with`):
every setting with its value and origin — detected in the file, configured, or a default."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from lakebox.formatted.formatter import format_pending
from lakebox.landing.loader import land
from tests.conftest import write_file


def _read_with(lh, source: str) -> dict[str, tuple[object, str]]:
    land(lh, source)
    [result] = format_pending(lh, source)
    assert result.status == "formatted", result.error
    [entry] = lh.manifest.entries(source)
    recorded = json.loads(entry.read_with)
    return {name: (setting["value"], setting["origin"]) for name, setting in recorded.items()}


def test_a_tsv_without_header_as_configured(make_project, tmp_path):
    write_file(tmp_path / "in", "a.tsv", "1\tx\n2\ty\n")
    lh = make_project({"t": {"path": str(tmp_path / "in"), "header": False}})

    assert _read_with(lh, "t") == {
        "format": ("tsv", "detected"),
        "encoding": ("utf-8", "detected"),
        "delimiter": ("\t", "default"),  # a TSV's, not found in the file
        "quote": ('"', "detected"),
        "header": (False, "configured"),
        "header_row": (None, "configured"),
    }


def test_json_records_nesting_as_a_default(make_project, tmp_path):
    write_file(tmp_path / "in", "a.ndjson", '{"id": 1, "where": {"city": "BCN"}}\n')
    lh = make_project({"j": {"path": str(tmp_path / "in")}})

    assert _read_with(lh, "j") == {
        "format": ("ndjson", "detected"),
        "nested": ("flatten", "default"),
    }


def test_parquet_keeps_the_types_the_file_knows(make_project, tmp_path):
    (tmp_path / "in").mkdir()
    ids, times = pa.array([1, 2], pa.int32()), pa.array([1, 2], pa.timestamp("ms"))
    table = pa.table({"id": ids, "at": times})
    pq.write_table(table, tmp_path / "in" / "a.parquet")
    lh = make_project({"p": {"path": str(tmp_path / "in"), "format": "parquet"}})

    assert _read_with(lh, "p") == {
        "format": ("parquet", "configured"),
        "file_types": ({"id": "INTEGER", "at": "TIMESTAMP"}, "detected"),
    }


def test_a_reformat_records_it_for_an_object_formatted_before(make_project, tmp_path):
    from lakebox.formatted.formatter import reformat, reformattable

    write_file(tmp_path / "in", "a.csv", "id;amount\n1;2,5\n")
    lh = make_project({"s": {"path": str(tmp_path / "in")}})
    _read_with(lh, "s")
    [entry] = lh.manifest.entries("s")
    lh.manifest.update(entry.batch_id, read_with=None)  # as an older lakebox left it

    reformat(lh, reformattable(lh, ["s"]))

    recorded = json.loads(lh.manifest.entries("s")[0].read_with)
    assert recorded["delimiter"] == {"value": ";", "origin": "detected"}
    assert recorded["decimal_marks"] == {"value": {"amount": ","}, "origin": "detected"}
