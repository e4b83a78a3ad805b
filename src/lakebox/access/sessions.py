"""`Sessions`: the web UI's logins. A session id is made at random and kept only as its
SHA-256 hash, with its user, its CSRF token and its expiry; logging out deletes it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lakebox.access.store import sessions_table
from lakebox.access.users import User, Users


@dataclass(frozen=True)
class Session:
    """A live session: its user and the CSRF token its forms carry."""

    user: User
    csrf: str
    expires_at: datetime


class Sessions:
    """The web sessions of one project."""

    def __init__(self, users: Users, hours: float = 12.0) -> None:
        self.users = users
        self.engine = users.engine
        self.hours = hours

    def start(self, user: User) -> tuple[str, Session]:
        """Start a session for `user`; return its id (for the cookie) and the session."""
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        expires = now + timedelta(hours=self.hours)
        with self.engine.begin() as connection:
            connection.execute(sessions_table.delete().where(sessions_table.c.expires_at < now))
            connection.execute(
                sessions_table.insert().values(
                    id_hash=_digest(session_id),
                    user_name=user.name,
                    csrf=csrf,
                    created_at=now,
                    expires_at=expires,
                )
            )
        return session_id, Session(user, csrf, expires)

    def find(self, session_id: str) -> Session | None:
        """Return the live session `session_id` of an enabled user, or None."""
        if not session_id or len(session_id) > 128:
            return None
        with self.engine.connect() as connection:
            row = connection.execute(
                sessions_table.select().where(sessions_table.c.id_hash == _digest(session_id))
            ).first()
        if row is None:
            return None
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
        user = self.users.find(row.user_name)
        if expires <= datetime.now(UTC) or user is None or user.disabled:
            return None
        return Session(user, row.csrf, expires)

    def end(self, session_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                sessions_table.delete().where(sessions_table.c.id_hash == _digest(session_id))
            )

    def end_all(self, user: str) -> None:
        """End every session of `user` (their password changed, or they were disabled)."""
        with self.engine.begin() as connection:
            connection.execute(sessions_table.delete().where(sessions_table.c.user_name == user))


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()
