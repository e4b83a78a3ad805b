"""`Sessions` on a real catalog database: a session id kept only as a hash, found while live
and its user enabled, ended one by one or all of a user's at once, expired after its hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lakebox.access.sessions import Sessions
from lakebox.access.store import sessions_table
from lakebox.access.users import Users


@pytest.fixture
def sessions(sqlite_engine) -> Sessions:
    users = Users(sqlite_engine)
    users.add("ann", ["viewer"], "correct horse")
    users.add("bob", ["viewer"], "correct horse")
    return Sessions(users, hours=2)


def test_a_session_is_found_by_its_id_and_kept_as_a_hash(sessions):
    session_id, session = sessions.start(sessions.users.get("ann"))
    found = sessions.find(session_id)
    assert found is not None and found.user.name == "ann" and found.csrf == session.csrf
    assert timedelta(hours=1.9) < session.expires_at - datetime.now(UTC) <= timedelta(hours=2)
    with sessions.engine.connect() as connection:
        row = connection.execute(sessions_table.select()).one()
    assert session_id not in repr(tuple(row))
    assert sessions.find("") is None and sessions.find("x" * 200) is None
    assert sessions.find("unknown") is None


def test_ending_one_session_and_all_of_a_users(sessions):
    ann, bob = sessions.users.get("ann"), sessions.users.get("bob")
    first, _ = sessions.start(ann)
    second, _ = sessions.start(ann)
    bobs, _ = sessions.start(bob)
    sessions.end(first)
    assert sessions.find(first) is None and sessions.find(second) is not None
    sessions.end_all("ann")
    assert sessions.find(second) is None
    assert sessions.find(bobs) is not None


def test_an_expired_session_or_a_disabled_user_finds_nothing(sessions):
    session_id, _ = sessions.start(sessions.users.get("ann"))
    sessions.users.set_disabled("ann", True)
    assert sessions.find(session_id) is None
    sessions.users.set_disabled("ann", False)
    assert sessions.find(session_id) is not None
    with sessions.engine.begin() as connection:
        connection.execute(
            sessions_table.update().values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert sessions.find(session_id) is None
