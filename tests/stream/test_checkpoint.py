"""A partition's checkpoint in the lake's storage: none before the first flush, the whole
state back after a save, replaced at once by the next save, and refused (with the way out)
once the stream's declaration changed what its state means."""

from __future__ import annotations

import pytest

from lakebox.errors import StreamError
from lakebox.lakehouse import Lakehouse
from lakebox.stream import checkpoint
from lakebox.stream.events import Record
from lakebox.stream.partition import PartitionState
from lakebox.stream.places import checkpoint_key
from tests.stream.projects import NAME, lines, readings, stream_config


@pytest.fixture
def lh(make_project) -> Lakehouse:
    return make_project(streams={NAME: stream_config()})


def fed(lh: Lakehouse, count: int) -> PartitionState:
    state = PartitionState(NAME, lh.config.streams[NAME], 0)
    state.process([Record(0, i, line) for i, line in enumerate(lines(readings(count)))])
    return state


def test_none_before_the_first_save_then_the_whole_state(lh):
    stream = lh.config.streams[NAME]
    assert checkpoint.load(lh, NAME, stream, 0) is None
    state = fed(lh, 120)
    checkpoint.save(lh, state)
    back = checkpoint.load(lh, NAME, stream, 0)
    assert back is not None and back.next_offset == 120
    assert back.counters == state.counters and back.max_time == state.max_time
    for name in state.windows:
        assert back.live(name) == state.live(name)
    assert back.open_incidents() == state.open_incidents()


def test_a_save_replaces_the_previous_checkpoint(lh):
    checkpoint.save(lh, fed(lh, 50))
    checkpoint.save(lh, fed(lh, 90))
    assert checkpoint.load(lh, NAME, lh.config.streams[NAME], 0).next_offset == 90
    folder = lh.storage.local_path(checkpoint_key(NAME, 0)).parent
    assert [path.name for path in folder.iterdir()] == ["p0.pickle"]
    assert not list(lh.scratch_dir.glob("checkpoint-*"))


def test_flush_and_intake_settings_may_change_between_runs(lh):
    checkpoint.save(lh, fed(lh, 50))
    changed = lh.config.streams[NAME].model_copy(update={"flush": 2, "batch_events": 7})
    assert checkpoint.load(lh, NAME, changed, 0).next_offset == 50


def test_a_checkpoint_of_another_declaration_is_refused_with_the_way_out(lh):
    checkpoint.save(lh, fed(lh, 50))
    changed = lh.config.streams[NAME].model_copy(update={"lateness": "1m"})
    with pytest.raises(StreamError, match="another declaration of the stream") as caught:
        checkpoint.load(lh, NAME, changed, 0)
    assert f"'lakebox stream replay {NAME}'" in str(caught.value.hint)
