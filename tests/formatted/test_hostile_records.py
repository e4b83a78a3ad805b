"""Records no parser should see whole: a CSV record or an NDJSON line longer than the parser
takes is quarantined (its length and byte offset in the reason, its first bytes as the raw
text), never dropped; JSON nested past `limits.json_depth` fails its file alone."""

from __future__ import annotations

import pytest

from lakebox.catalog.manifest import Status
from lakebox.formatted.formatter import format_pending
from lakebox.formatted.readers.long_lines import HEAD
from lakebox.landing.loader import land
from tests.conftest import write_file

MIB = 1024 * 1024


def _format_one(make_project, tmp_path, name: str, data: bytes, text_path=False, **source):
    folder = tmp_path / "in"
    write_file(folder, name, data)
    lh = make_project({"feed": {"path": str(folder), **source}})
    land(lh, "feed")
    [result] = format_pending(lh, "feed", text_path=text_path)
    return lh, result


@pytest.mark.parametrize("text_path", [False, True], ids=["typed_path", "text_path"])
def test_csv_records_past_the_parser_are_quarantined_not_lost(make_project, tmp_path, text_path):
    huge, long = b"y" * (40 * MIB), b"z" * (5 * MIB)  # past DuckDB's buffer; past its line size
    data = b"a,b\n1,x\n2," + huge + b"\n3,z\n4," + long + b"\n5,w\n"
    lh, result = _format_one(make_project, tmp_path, "big.csv", data, text_path)

    counts = result.counts
    assert result.error is None
    assert (counts.rows_read, counts.rows_formatted, counts.rows_quarantined) == (5, 3, 2)
    formatted = lh.query("SELECT a, _source_line FROM formatted.feed ORDER BY a").to_pylist()
    assert [(row["a"], row["_source_line"]) for row in formatted] == [(1, 2), (3, 4), (5, 6)]
    quarantined = lh.query(
        "SELECT _source_line, _reason, length(_raw) AS raw FROM quarantine.feed "
        "ORDER BY _source_line"
    ).to_pylist()
    assert [row["_source_line"] for row in quarantined] == [3, 5]
    assert f"a record of {2 + 40 * MIB:,} bytes" in quarantined[0]["_reason"]
    assert "starts at byte 8 of the file" in quarantined[0]["_reason"]
    assert f"a record of {2 + 5 * MIB:,} bytes" in quarantined[1]["_reason"]
    assert [row["raw"] for row in quarantined] == [HEAD, HEAD]


def test_an_ndjson_line_past_the_parser_is_quarantined_not_lost(make_project, tmp_path):
    huge = b'{"a": 2, "b": "' + b"y" * (17 * MIB) + b'"}'
    data = b'{"a": 1, "b": "x"}\n' + huge + b'\n{"a": 3, "b": "z"}\n'
    lh, result = _format_one(make_project, tmp_path, "big.ndjson", data)

    counts = result.counts
    assert result.error is None
    assert (counts.rows_read, counts.rows_formatted, counts.rows_quarantined) == (3, 2, 1)
    lines = lh.query("SELECT a, _source_line FROM formatted.feed ORDER BY a").to_pylist()
    assert [(row["a"], row["_source_line"]) for row in lines] == [(1, 1), (3, 3)]
    [refused] = lh.query("SELECT _source_line, _reason, _raw FROM quarantine.feed").to_pylist()
    assert refused["_source_line"] == 2
    assert f"a record of {len(huge):,} bytes" in refused["_reason"]
    assert "starts at byte 19 of the file" in refused["_reason"]
    assert refused["_raw"] == huge[:HEAD].decode()


def _nested(depth: int) -> bytes:
    """Return an object holding objects `depth` levels deep, each with an array."""
    return b'{"a": [1], "b": ' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("depth", [2_000, 100_000])
def test_ndjson_nested_too_deep_fails_its_file_alone(make_project, tmp_path, depth):
    folder = tmp_path / "in"
    write_file(folder, "a_sound.ndjson", b'{"a": [1]}\n{"a": [2]}\n')
    write_file(folder, "b_deep.ndjson", b'{"a": 1}\n' + _nested(depth) + b"\n")
    lh = make_project({"feed": {"path": str(folder)}})
    land(lh, "feed")

    results = sorted(format_pending(lh, "feed"), key=lambda result: result.status)

    assert [result.status for result in results] == [Status.FAILED, Status.FORMATTED]
    assert "b_deep.ndjson: line 2: JSON nested more than 128 levels deep" in results[0].error
    assert "limits.json_depth" in results[0].error
    assert results[1].counts.rows_formatted == 2


def test_a_json_document_nested_too_deep_fails(make_project, tmp_path):
    data = b"[" + _nested(300) + b"]"
    _, result = _format_one(make_project, tmp_path, "deep.json", data)

    assert result.status == Status.FAILED
    assert "deep.json: line 1: JSON nested more than 128 levels deep" in result.error


def test_the_depth_cap_is_the_sources(make_project, tmp_path):
    data = _nested(20) + b"\n"
    _, result = _format_one(
        make_project, tmp_path, "d.ndjson", data, limits={"json_depth": 10}, nested="struct"
    )

    assert result.status == Status.FAILED
    assert "more than 10 levels deep" in result.error
