"""Many landed files formatted in one pass: one snapshot per table listing every batch id, each
row keeping its object, batch and line, exact accounting per object, and the same rows,
reasons and counts as formatting each object alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lakebox
from lakebox.catalog import BATCH_PROPERTY, TableRef
from lakebox.catalog.iceberg import snapshot_properties
from lakebox.config import SourceConfig
from lakebox.formatted import grouped
from lakebox.formatted.formatter import format_entry, format_pending
from lakebox.formatted.readers import csv
from lakebox.lakehouse import Lakehouse
from lakebox.landing.loader import land
from tests.conftest import write_file

MESSY = {  # file → its text: clean ones, and the ones a group leaves to the per-object path
    "a0.csv": "id,name,amount\n1,Ana,1.5\n2,Ben,2\n2,Ben,2\n",
    "a1.csv": "id,name,amount\n3,Carol,-1\n1,Ana again,7.25\n",
    "a2.csv": "id,name,amount\n4,Dan,1e3\n5,Eve,NA\n6,Fay,\n",
    "a3.csv": "id,name,amount\n7,Gus,1\n8,Hal,1,extra\n9,Ivy,3\n",  # a refused record
    "a4.csv": "id,name,amount\n10,Jon,ten\n11,Kim,11\n",  # a value the text rules refuse
    "a5.csv": "id,name,amount\n,Nobody,1\n12,Lea,12\n1,Ana last,9\n",  # an empty key value
    "a6.csv": "id,name,amount\n",  # a header only
    "a7.csv": "id;name;amount\n13;Max;1,5\n14;Ned;2,25\n",  # another dialect
    "a8.csv": "id,name,amount,note\n15,Ola,3,new\n",  # another header
    "a9.csv": "id,name,amount\n16,Pia,4\n17,Quinn,5\n",
}


NDJSON = {  # the same for events: clean ones, and the ones formatted alone
    "n0.ndjson": '{"id":1,"name":"Ana","amount":1.5}\n{"id":2,"name":"Ben","amount":2}\n'
    '{"id":2,"name":"Ben","amount":2}\n',
    "n1.ndjson": '{"id":3,"name":"Carol","at":{"x":1}}\n\n{"id":1,"name":"Ana again"}\n',
    "n2.ndjson": '{"id":4,"amount":"ten"}\n{"id":5,"amount":5}\n',  # a value refused
    "n3.ndjson": 'not json\n{"id":6}\n',  # a malformed line
    "n4.ndjson": '{"id":7,"amount":1e309}\n',  # a number a DOUBLE cannot hold
    "n5.ndjson": '{"id":8,"name":"Gus","amount":3}\n\n\n{"id":9}\n',
    "n6.ndjson": "",  # empty
    "n7.ndjson": '{"id":10,"name":"Hal","amount":4}\n',
}


def _project(
    make_project, tmp_path: Path, files: dict[str, str], name: str = "project", **source: object
) -> Lakehouse:
    folder = tmp_path / f"{name}-in"
    for file, text in files.items():
        write_file(folder, file, text)
    suffix = Path(next(iter(files))).suffix
    return make_project({"sales": {"path": f"{folder}/*{suffix}", **source}}, folder=name)


def _snapshot_batches(lh: Lakehouse, zone: str) -> list[list[str]]:
    table = lh.catalog.load(TableRef(zone, "sales"))
    assert table is not None
    return [
        json.loads(snapshot_properties(snapshot).get(BATCH_PROPERTY, "[]"))
        for snapshot in table.snapshots()
    ]


def test_files_of_one_shape_are_one_snapshot_and_each_row_keeps_its_file_and_line(
    make_project, tmp_path
):
    files = {
        f"f{n:02d}.csv": "id,n,line\n" + "".join(f"{n * 100 + i},{n},{i + 2}\n" for i in range(5))
        for n in range(12)
    }
    lh = _project(make_project, tmp_path, files)
    land(lh, "sales")

    results = format_pending(lh, "sales")

    entries = {entry.batch_id: entry for entry in lh.manifest.entries("sales")}
    assert [snapshot for snapshot in _snapshot_batches(lh, "formatted")] == [sorted(entries)]
    assert [r.counts.rows_read for r in results] == [5] * 12
    assert [r.counts.rows_formatted for r in results] == [5] * 12
    rows = lh.query("SELECT n, line, _batch_id, _source_file, _source_line FROM formatted.sales")
    for row in rows.to_pylist():
        entry = entries[row["_batch_id"]]
        assert Path(entry.original_path).name == f"f{row['n']:02d}.csv"
        assert row["_source_file"] == entry.landed_path
        assert row["_source_line"] == row["line"]
    assert rows.num_rows == 60
    versions = [version for result in results for version in result.versions]
    formatted = [v for v in versions if v.table == TableRef("formatted", "sales")]
    assert len(formatted) == 1  # one version, made from every landed object
    assert {item.batch_id for item in formatted[0].inputs if item.batch_id} == set(entries)


def _alone(lh: Lakehouse) -> list:
    """Format every pending object of `sales` one at a time (the per-object path)."""
    return [format_entry(lh, entry) for entry in lh.manifest.entries("sales", "landed")]


def _outcome(lh: Lakehouse, results: list) -> tuple[list, list, dict]:
    names = {e.batch_id: Path(e.original_path).name for e in lh.manifest.entries("sales")}
    formatted = lh.query(
        "SELECT * EXCLUDE (_ingested_at, _source_file) FROM formatted.sales"
    ).to_pylist()
    quarantined = lh.query(
        "SELECT * EXCLUDE (_ingested_at, _source_file) FROM quarantine.sales"
    ).to_pylist()
    for row in (*formatted, *quarantined):
        row["_batch_id"] = names[row["_batch_id"]]
    counts = {names[r.batch_id]: (r.status, r.error, vars(r.counts)) for r in results}
    order = lambda row: json.dumps(row, sort_keys=True, default=str)  # noqa: E731
    return sorted(formatted, key=order), sorted(quarantined, key=order), counts


def _both_ways(
    make_project, tmp_path: Path, files: dict[str, str], **source: object
) -> tuple[Lakehouse, dict]:
    """Land `files` into two projects, format them together in one and one at a time in the
    other, require the same rows, quarantine rows and counts; return the first project and
    its counts by file name."""
    together = _project(make_project, tmp_path, files, "together", **source)
    alone = _project(make_project, tmp_path, files, "alone", **source)
    land(together, "sales")
    land(alone, "sales")

    grouped_outcome = _outcome(together, format_pending(together, "sales"))
    alone_outcome = _outcome(alone, _alone(alone))

    assert grouped_outcome[2] == alone_outcome[2]
    assert grouped_outcome[1] == alone_outcome[1]
    assert grouped_outcome[0] == alone_outcome[0]
    return together, grouped_outcome[2]


@pytest.mark.parametrize("key", [[], ["id"]], ids=["appended", "keyed"])
def test_a_group_gives_the_rows_reasons_and_counts_of_each_object_alone(
    make_project, tmp_path, key
):
    # declared types: a group infers them once from all its files, the first object alone
    # from its own
    declared = {"id": {"type": "BIGINT"}, "amount": {"type": "DOUBLE"}}
    together, counts = _both_ways(make_project, tmp_path, MESSY, key=key, columns=declared)

    for name, (_status, _error, numbers) in counts.items():
        parts = numbers["rows_formatted"] + numbers["rows_quarantined"] + numbers["rows_duplicate"]
        assert numbers["rows_read"] == parts, name
    assert counts["a0.csv"][2]["rows_duplicate"] == 1
    assert counts["a3.csv"][2]["rows_quarantined"] == 1
    if key:  # the latest object's row of key 1 wins, across the objects formatted alone
        names = together.query("SELECT name FROM formatted.sales WHERE id = 1").to_pylist()
        assert names == [{"name": "Ana last"}]
    # fewer commits: the clean objects of a shape share them
    assert len(_snapshot_batches(together, "formatted")) < len(MESSY) - 1


@pytest.mark.parametrize("keep", [False, True], ids=["deduplicated", "events"])
def test_ndjson_files_in_a_group_give_what_each_gives_alone(make_project, tmp_path, keep):
    declared = {"id": {"type": "BIGINT"}, "amount": {"type": "DOUBLE"}}
    settings = {"columns": declared, "keep_duplicates": keep}
    together, counts = _both_ways(make_project, tmp_path, NDJSON, **settings)

    assert counts["n0.ndjson"][2]["rows_duplicate"] == (0 if keep else 1)
    assert counts["n3.ndjson"][2]["rows_quarantined"] == 1
    assert len(_snapshot_batches(together, "formatted")) < len(NDJSON) - 2


def test_objects_of_another_header_or_dialect_form_their_own_group(make_project, tmp_path):
    files = {f"x{n}.csv": f"id,name\n{n},x{n}\n" for n in range(3)}
    files |= {f"y{n}.csv": f"id;name;extra\n{n + 10};y{n};e\n" for n in range(3)}
    lh = _project(make_project, tmp_path, files)
    land(lh, "sales")

    results = format_pending(lh, "sales")

    assert {result.status for result in results} == {"formatted"}
    assert sorted(len(batches) for batches in _snapshot_batches(lh, "formatted")) == [3, 3]
    rows = lh.query("SELECT count(*) AS n, count(extra) AS extra FROM formatted.sales")
    assert rows.to_pylist() == [{"n": 6, "extra": 3}]


def test_the_objects_of_one_pass_are_bounded(make_project, tmp_path, monkeypatch):
    monkeypatch.setattr(grouped, "MAX_OBJECTS", 4)
    files = {f"f{n:02d}.csv": f"id\n{n}\n" for n in range(10)}
    lh = _project(make_project, tmp_path, files)
    land(lh, "sales")

    format_pending(lh, "sales")

    assert [len(batches) for batches in _snapshot_batches(lh, "formatted")] == [4, 4, 2]


@pytest.mark.parametrize(
    "text",
    [
        'id,name\n2,"x, y"\n3,z\n',  # the same dialect: reused
        "id,name\n2;x\n3;y\n",  # another delimiter in the records
        "id,name\n2,'x, y'\n",  # another quote character
        "id,name\n2,x,extra\n",  # a ragged record
    ],
)
def test_a_file_of_a_seen_header_gets_the_dialect_sniffing_it_gives(tmp_path, text):
    source = SourceConfig(path=str(tmp_path))
    seen: csv.Sniffed = {}
    first = write_file(tmp_path, "first.csv", "id,name\n1,a\n")
    later = write_file(tmp_path, "later.csv", text)
    csv.sniff(first, source, None, seen)

    assert csv.sniff(later, source, None, seen) == csv.sniff(later, source, None)


@pytest.mark.parametrize("nested", ["flatten", "struct"])
@pytest.mark.parametrize(
    "files",
    [
        {"a0.ndjson": '{"ID":1,"Name":"a"}\n', "a1.ndjson": '{"id":2,"name":"b"}\n'},
        {"a0.ndjson": '{"a":{"x":1}}\n', "a1.ndjson": '{"a_x":2}\n'},
        {"a0.ndjson": '{"a":1}\n', "a1.ndjson": '{"!":2}\n'},  # named by its place
    ],
    ids=["case", "flattened", "placed"],
)
def test_ndjson_keys_one_name_in_the_group_but_none_in_a_file_give_one_column(
    make_project, tmp_path, files, nested
):
    # the group's keys normalise to one name (id, id_2) where each file's alone do not, or
    # a key is named by its place among the group's keys
    _both_ways(make_project, tmp_path, files, key=[], nested=nested)


@pytest.mark.parametrize("nested", ["flatten", "struct"])
def test_an_ndjson_object_of_only_empty_records_is_refused_as_alone(make_project, tmp_path, nested):
    files = {"a0.ndjson": "{}\n{}\n", "a1.ndjson": '{"id":2}\n', "a2.ndjson": '{"a":{}}\n'}
    _, counts = _both_ways(make_project, tmp_path, files, nested=nested)

    assert counts["a0.ndjson"][1] == "no readable record"


@pytest.mark.parametrize("text", ["id\n3;4\n5;6\n", "id\n3\t4\n", "id\n3|4|5\n6|7|8\n"])
def test_a_file_of_a_seen_one_column_header_gets_the_dialect_sniffing_it_gives(
    make_project, tmp_path, text
):
    # one column: the header line tells no delimiter, the records may
    source = SourceConfig(path=str(tmp_path))
    seen: csv.Sniffed = {}
    first = write_file(tmp_path, "first.csv", "id\n1\n2\n")
    later = write_file(tmp_path, "later.csv", text)
    csv.sniff(first, source, None, seen)

    assert csv.sniff(later, source, None, seen) == csv.sniff(later, source, None)
    _both_ways(make_project, tmp_path, {"a0.csv": "id\n1\n2\n", "a1.csv": text})


def test_a_group_killed_after_its_commit_has_its_quarantine_table_after_the_rerun(tmp_path):
    # killed between the formatted commit and the empty quarantine table's: the rerun commits
    # no row again, but still makes the table, as the per-object path's rerun does
    from lakebox.orchestration.runner import run
    from tests.orchestration.test_exactly_once import _crash

    project = tmp_path / "project"
    for number in range(3):
        write_file(project / "in", f"part-{number}.csv", f"id,v\n{number},x\n")
    (project / "lakebox.yaml").write_text(
        "name: crash\nengine: {memory_limit: 1GB, threads: 2}\nsources:\n"
        "  sales:\n    path: in/*.csv\n    settle: 0s\n"
    )
    _crash(project, "group-after-commit")

    with lakebox.open(project) as lh:
        assert run(lh).ok
        assert lh.query("SELECT count(*) AS n FROM formatted.sales").to_pylist() == [{"n": 3}]
        assert lh.query("SELECT count(*) AS n FROM quarantine.sales").to_pylist() == [{"n": 0}]


def test_ndjson_objects_in_a_group_record_the_decimal_marks_they_are_read_with(
    make_project, tmp_path
):
    files = {f"n{n}.ndjson": f'{{"id":{n},"amount":{n}.5}}\n' for n in range(3)}
    settings = []
    for name, formatting in (("together", format_pending), ("alone", None)):
        lh = _project(make_project, tmp_path, files, name)
        land(lh, "sales")
        formatting(lh, "sales") if formatting else _alone(lh)
        settings.append(sorted(e.read_with or "" for e in lh.manifest.entries("sales")))

    assert settings[0] == settings[1]
    assert all("decimal_marks" in found for found in settings[0])


def test_a_group_leaves_no_table_of_refused_records_behind(make_project, tmp_path):
    # a process formatting group after group (a schedule, a stream) must not keep them all
    files = {f"f{n}.csv": f"id,v\n{n},x\n{n + 10},y\n" for n in range(4)}
    lh = _project(make_project, tmp_path, files)
    land(lh, "sales")
    temporary = "SELECT table_name FROM duckdb_tables() WHERE temporary"
    before = set(lh.engine.execute(temporary).fetchall())

    format_pending(lh, "sales")

    assert len(_snapshot_batches(lh, "formatted")) == 1
    assert set(lh.engine.execute(temporary).fetchall()) == before
