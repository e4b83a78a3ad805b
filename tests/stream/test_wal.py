"""The write-ahead log of the HTTP and MQTT intakes, on a real folder: appends numbered by a
sequence that never restarts, reads from any sequence, segments rotated and truncated, a
line torn by a crash cut when the writer opens the log again, one writer at a time."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from lakebox.errors import StreamError
from lakebox.stream.intakes.logged import LoggedIntake
from lakebox.stream.places import wal_dir
from lakebox.stream.wal import Wal, WriterLock
from tests.stream.projects import NAME, stream_config


def numbered(first: int, last: int) -> list[bytes]:
    return [f'{{"n": {n}}}'.encode() for n in range(first, last + 1)]


def values(wal: Wal, from_seq: int = 0, most: int = 10_000) -> list[tuple[int, bytes]]:
    return [(record.offset, record.value) for record in wal.read(from_seq, most)]


def test_appends_are_numbered_in_order_and_read_back(tmp_path: Path):
    wal = Wal(tmp_path / "wal")
    assert wal.append(numbered(0, 2)) == (0, 2)
    assert wal.append([]) == (3, 2)
    assert wal.append(numbered(3, 4)) == (3, 4)
    records = wal.read(0, 100)
    assert [(r.partition, r.offset, r.value) for r in records] == [
        (0, n, line) for n, line in enumerate(numbered(0, 4))
    ]
    assert values(wal, 3) == list(enumerate(numbered(0, 4)))[3:]
    assert values(wal, 1, most=2) == list(enumerate(numbered(0, 4)))[1:3]
    assert wal.read(5, 10) == []
    assert wal.unread(0) == 5 and wal.unread(3) == 2 and wal.unread(5) == 0


def test_a_line_holding_a_newline_is_refused(tmp_path: Path):
    wal = Wal(tmp_path / "wal")
    with pytest.raises(StreamError, match="holds a newline"):
        wal.append([b"{}", b"{\n}"])
    assert wal.next_seq == 0 and wal.read(0, 10) == []


def test_the_sequence_goes_on_after_reopening(tmp_path: Path):
    Wal(tmp_path / "wal").append(numbered(0, 4))
    wal = Wal(tmp_path / "wal")
    assert wal.next_seq == 5
    assert wal.append(numbered(5, 6)) == (5, 6)
    assert [offset for offset, _ in values(wal)] == list(range(7))


def test_small_segments_rotate_and_reads_cross_them(tmp_path: Path):
    wal = Wal(tmp_path / "wal", segment_bytes=40)
    for first in range(0, 30, 3):
        wal.append(numbered(first, first + 2))
    segments = wal.segments()
    assert len(segments) > 3
    assert all(path.stat().st_size <= 40 for _, path in segments)
    assert [first for first, _ in segments] == sorted(first for first, _ in segments)
    assert values(wal) == list(enumerate(numbered(0, 29)))
    assert values(wal, 13, most=5) == list(enumerate(numbered(0, 29)))[13:18]
    again = Wal(tmp_path / "wal", segment_bytes=40)
    assert values(again, 20) == list(enumerate(numbered(0, 29)))[20:]


def test_an_append_larger_than_a_segment_gets_a_segment_of_its_own(tmp_path: Path):
    wal = Wal(tmp_path / "wal", segment_bytes=20)
    wal.append(numbered(0, 0))
    wal.append(numbered(1, 9))
    wal.append(numbered(10, 10))
    assert [first for first, _ in wal.segments()] == [0, 1, 10]
    assert values(wal) == list(enumerate(numbered(0, 10)))


def test_truncation_drops_whole_segments_before_a_sequence_only(tmp_path: Path):
    wal = Wal(tmp_path / "wal", segment_bytes=40)
    for first in range(0, 30, 3):
        wal.append(numbered(first, first + 2))
    before = wal.segments()
    wal.truncate(14)
    after = wal.segments()
    assert after == [(first, path) for first, path in before if first >= 12]
    assert values(wal, 14)[0] == (14, numbered(14, 14)[0])
    # from before the first segment left: what is left, as many as asked
    assert values(Wal(tmp_path / "wal", segment_bytes=40), 0, most=4) == [
        (n, line) for n, line in enumerate(numbered(0, 29)) if 12 <= n < 16
    ]
    wal.truncate(10_000)
    assert len(wal.segments()) == 1  # the segment being written stays
    assert wal.append(numbered(30, 30)) == (30, 30)
    reopened = Wal(tmp_path / "wal", segment_bytes=40)
    assert reopened.next_seq == 31
    assert values(reopened, 30) == [(30, numbered(30, 30)[0])]


def test_a_torn_last_line_is_cut_when_the_log_is_opened_again(tmp_path: Path):
    wal = Wal(tmp_path / "wal")
    wal.append(numbered(0, 2))
    _, segment = wal.segments()[-1]
    with segment.open("ab") as handle:
        handle.write(b'{"n": 3, "half')  # a crash in the middle of an append
    assert values(wal) == list(enumerate(numbered(0, 2)))  # a reader stops before it
    reopened = Wal(tmp_path / "wal")
    assert reopened.next_seq == 3
    assert segment.read_bytes().endswith(b"}\n")
    assert reopened.append(numbered(3, 4)) == (3, 4)
    assert values(Wal(tmp_path / "wal")) == list(enumerate(numbered(0, 4)))


def test_the_worker_opening_the_log_never_cuts_a_line_being_written(make_project):
    lh = make_project(streams={NAME: stream_config()})
    writer = Wal(wal_dir(lh, NAME))
    writer.append(numbered(0, 0))
    _, segment = writer.segments()[-1]
    line = numbered(1, 1)[0]
    with segment.open("ab") as handle:  # the intake's append, caught half-way
        handle.write(line[:5])
        handle.flush()
        reader = LoggedIntake(lh, NAME)  # a worker starting meanwhile
        handle.write(line[5:] + b"\n")
    assert [(r.offset, r.value) for r in reader.poll(10, 0)] == list(enumerate(numbered(0, 1)))


def test_appends_from_many_threads_get_distinct_sequences(tmp_path: Path):
    wal = Wal(tmp_path / "wal", segment_bytes=500)
    spans: list[tuple[int, int]] = []

    def send(worker: int) -> None:
        for index in range(20):
            lines = [f'{{"w": {worker}, "i": {index}, "j": {j}}}'.encode() for j in range(3)]
            spans.append(wal.append(lines))

    threads = [threading.Thread(target=send, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = sorted(seq for first, last in spans for seq in range(first, last + 1))
    assert taken == list(range(240))
    read = values(wal)
    assert [offset for offset, _ in read] == list(range(240))
    for first, last in spans:  # each append's lines are together, in order
        assert [line.split(b'"j": ')[1] for _, line in read[first : last + 1]] == [
            b"0}",
            b"1}",
            b"2}",
        ]


def test_one_writer_at_a_time(tmp_path: Path):
    holder = WriterLock(tmp_path)
    with pytest.raises(StreamError, match="another process is taking events"):
        WriterLock(tmp_path)
    holder.release()
    WriterLock(tmp_path).release()


def test_a_reader_does_not_write(tmp_path: Path):
    Wal(tmp_path / "wal").append(numbered(0, 1))
    reader = Wal(tmp_path / "wal", writer=False)
    assert reader.next_seq == 2
    with pytest.raises(StreamError, match="opened for reading"):
        reader.append(numbered(2, 2))
