"""Grant changes: an edit of lakebox.yaml's `access:` section is audited once, by the first
process that opens the project after it, with a summary of what changed; a change the
command line makes is audited at once."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator

import pytest
import yaml

import lakebox
from lakebox.access.changes import describe_change, grant_change, note_config
from lakebox.access.control import AccessControl, access_control
from tests.access.conftest import access

FIRST = """
roles:
  eu_analyst: {extends: analyst, read: [formatted.sales]}
tags: {pii: ["*.*.email"]}
masks:
  - {tag: pii, mask: hash}
row_filters:
  - {table: formatted.sales, where: "region = user.region"}
"""


def section(text: str) -> dict:
    return access(text).model_dump(mode="json")


@pytest.fixture
def reopened() -> Iterator[Callable[..., AccessControl]]:
    """Return `reopen(lh, text)`: rewrite the project's access section as `text` (None:
    none) and open the project again, as another process would."""
    opened: list[lakebox.Lakehouse] = []

    def reopen(lh: lakebox.Lakehouse, text: str | None) -> AccessControl:
        path = lh.project_dir / "lakebox.yaml"
        document = yaml.safe_load(path.read_text())
        document.pop("access", None)
        if text is not None:
            document["access"] = yaml.safe_load(text) or {}
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        opened.append(lakebox.open(lh.project_dir))
        return AccessControl(opened[-1])

    yield reopen
    for each in opened:
        each.close()


def grant_changes(control: AccessControl) -> list[str]:
    return [e["detail"] for e in control.audit.entries(action="grant change")]


def test_the_first_sighting_then_each_change_is_audited_once(make_project, reopened):
    lh = make_project(access=yaml.safe_load(FIRST))
    control = access_control(lh)
    noted = note_config(control)
    assert noted == (
        "access: section first seen: roles eu_analyst; tags pii; 1 mask(s); 1 row filter(s)"
    )
    assert note_config(control) is None  # nothing changed since
    changed = reopened(lh, FIRST.replace("[formatted.sales]", "[formatted.sales, analytics]"))
    assert note_config(changed) == "access: role eu_analyst changed (read)"
    assert note_config(changed) is None
    [last, first] = grant_changes(changed)
    assert last == "lakebox.yaml access: role eu_analyst changed (read)"
    assert first.startswith("lakebox.yaml access: section first seen")
    [entry] = changed.audit.entries(limit=1)
    assert (entry["user"], entry["door"]) == (getpass.getuser(), "cli")


def test_a_project_without_the_section_notes_nothing_until_one_is_added(make_project, reopened):
    lh = make_project()
    assert note_config(access_control(lh)) is None
    added = reopened(lh, "session_hours: 8\n")
    assert note_config(added) == (
        "access: section added: roles none; tags none; 0 mask(s); 0 row filter(s)"
    )
    removed = reopened(lh, None)
    assert note_config(removed).startswith("access: section removed")


def test_a_process_that_saw_an_older_section_records_nothing_twice(make_project, reopened):
    lh = make_project(access=yaml.safe_load(FIRST))
    note_config(access_control(lh))
    edited = reopened(lh, FIRST + "token_days: 30\n")
    again = reopened(lh, FIRST + "token_days: 30\n")  # a second process, same file
    assert note_config(edited) == "access: token_days 90 -> 30"
    assert note_config(again) is None
    assert len(grant_changes(again)) == 2


def test_the_summary_names_what_was_added_removed_and_changed():
    before = section(FIRST)
    after = section(
        FIRST.replace("mask: hash", "mask: redact")
        .replace("eu_analyst:", "us_analyst:")
        .replace('row_filters:\n  - {table: formatted.sales, where: "region = user.region"}', "")
        + "session_hours: 4\n"
    )
    assert describe_change(before, after) == (
        "access: role us_analyst added; role eu_analyst removed; "
        "mask of tag pii changed (mask); row filter on formatted.sales removed; "
        "session_hours 12.0 -> 4.0"
    )
    assert describe_change(before, before) is None
    assert describe_change(None, None) is None


def test_a_predicate_never_shows_in_the_summary():
    before = section(FIRST)
    after = section(FIRST.replace("region = user.region", "region = 'EU' AND secret_flag"))
    assert describe_change(before, after) == "access: row filter on formatted.sales changed (where)"


def test_a_grant_change_of_the_command_line_is_written_at_once(make_project):
    control = access_control(make_project())
    grant_change(control, "user ann added with roles viewer")
    [found] = control.audit.entries()
    assert found["action"] == "grant change" and found["detail"].startswith("user ann added")
