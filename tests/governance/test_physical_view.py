"""A user's view of a table's physical metadata: the columns they read, no row counts under
their row filters, the landing objects only with `landing.manifest`, the inputs they read."""

from __future__ import annotations

from lakebox.catalog import TableRef
from lakebox.governance.physical import describe
from lakebox.governance.physical_view import narrowed
from lakebox.lakehouse import Lakehouse
from tests.governance.test_physical import lh  # noqa: F401  (the project, as a fixture)


def _everything(table: str) -> bool:
    return True


def _not_the_manifest(table: str) -> bool:
    return table != "landing.manifest"


def test_everything_readable_changes_nothing(lh: Lakehouse) -> None:  # noqa: F811
    found = describe(lh, TableRef("formatted", "events"))
    assert narrowed(found, None, _everything, rows_hidden=False) == found


def test_only_the_columns_read_are_shown(lh: Lakehouse) -> None:  # noqa: F811
    found = describe(lh, TableRef("formatted", "sales"))
    view = narrowed(found, {"id", "name"}, _everything, rows_hidden=False)
    settings = {setting.name: setting.value for setting in view.settings}
    [landed] = view.snapshots[0].landing

    assert [c.name for c in view.schemas[0].columns] == ["id", "name"]
    assert settings["decimal_marks"] == {}  # it named the hidden column amount
    assert landed.read_with["decimal_marks"]["value"] == {}
    assert settings["delimiter"] == ";"


def test_a_changed_column_hidden_from_the_user_is_not_in_the_history(
    lh: Lakehouse,  # noqa: F811
) -> None:
    found = describe(lh, TableRef("formatted", "events"))
    view = narrowed(found, {"id", "channel"}, _everything, rows_hidden=False)
    assert [(c.column, c.change) for c in view.schemas[1].changes] == [("channel", "added")]


def test_row_counts_are_hidden_under_row_filters(lh: Lakehouse) -> None:  # noqa: F811
    found = describe(lh, TableRef("formatted", "events"))
    view = narrowed(found, None, _everything, rows_hidden=True)
    landed = [o for s in view.snapshots for o in s.landing]

    assert view.files.rows is None and {s.rows for s in view.snapshots} == {None}
    assert {(o.rows_read, o.rows_formatted, o.rows_quarantined) for o in landed} == {
        (None, None, None)
    }
    assert view.files.count == found.files.count  # files and sizes stay


def test_landing_objects_need_the_manifest(lh: Lakehouse) -> None:  # noqa: F811
    found = describe(lh, TableRef("formatted", "events"))
    view = narrowed(found, None, _not_the_manifest, rows_hidden=False)

    assert view.landing_hidden and all(s.landing == [] for s in view.snapshots)
    assert [s.batch_ids for s in view.snapshots] == [s.batch_ids for s in found.snapshots]


def test_a_model_s_inputs_are_the_tables_the_user_reads(lh: Lakehouse) -> None:  # noqa: F811
    found = describe(lh, TableRef("exploitation", "totals"))
    view = narrowed(found, None, lambda table: table.startswith("exploitation."), False)

    assert view.model.inputs == {} and view.snapshots[0].inputs == {}
    assert view.hidden_inputs == 1
    assert view.model.sql_hash == found.model.sql_hash
