"""`AccessControl`: one project's users, tokens, sessions, audit log and mask key, and who a
credential belongs to. Served doors ask it for the `Principal` of each request or login."""

from __future__ import annotations

import threading
import weakref
from functools import cached_property

import duckdb

from lakebox.access.audit import AuditEntry, AuditLog, audit_log
from lakebox.access.limits import LoginLimiter
from lakebox.access.masks import register_hash
from lakebox.access.principal import Principal
from lakebox.access.sessions import Sessions
from lakebox.access.store import secret
from lakebox.access.tokens import Tokens, looks_like_token
from lakebox.access.users import User, Users
from lakebox.config.access import AccessConfig
from lakebox.errors import AuthError
from lakebox.lakehouse import Lakehouse

MASK_KEY = "mask_key"
_CONTROLS: weakref.WeakKeyDictionary[Lakehouse, AccessControl] = weakref.WeakKeyDictionary()
_CONTROLS_LOCK = threading.Lock()


def access_control(lh: Lakehouse) -> AccessControl:
    """Return the one AccessControl of `lh` in this process."""
    with _CONTROLS_LOCK:
        control = _CONTROLS.get(lh)
        if control is None:
            control = _CONTROLS[lh] = AccessControl(lh)
        return control


class AccessControl:
    """Users, tokens, sessions and the audit log of one project, opened on first use."""

    def __init__(self, lh: Lakehouse) -> None:
        self.lh = lh
        self.configured = lh.config.access is not None
        # with users required but no access: section, the built-in roles apply as they are
        self.config: AccessConfig = lh.config.access or AccessConfig()
        self._hash_ready: set[int] = set()
        self._lock = threading.Lock()

    @cached_property
    def users(self) -> Users:
        return Users(self.lh.catalog.sql_engine, self.config)

    @cached_property
    def tokens(self) -> Tokens:
        return Tokens(self.users)

    @cached_property
    def sessions(self) -> Sessions:
        return Sessions(self.users, self.config.session_hours)

    @cached_property
    def limiter(self) -> LoginLimiter:
        """The failed-login counter every door of this process shares (web UI and pg-wire)."""
        return LoginLimiter(self.config.login_attempts)

    @cached_property
    def audit(self) -> AuditLog:
        return audit_log(self.lh.catalog.sql_engine)

    def principal(self, user: User) -> Principal:
        """Return the principal of `user` under the project's access section."""
        return user.principal(self.config)

    def login(self, name: str, password: str, door: str, client: str | None = None) -> User:
        """Return the user a name and password (or token) belong to; audit the login or
        the failed login (AuthError)."""
        try:
            user = (
                self.tokens.check(password)
                if looks_like_token(password)
                else self.users.check_password(name, password)
            )
            if looks_like_token(password) and user.name != name and name:
                raise AuthError(f"the token is not {name!r}'s")
        except AuthError as error:
            self.record(AuditEntry(name or "?", door, "failed login", client=client,
                                   outcome="refused", detail=error.message))  # fmt: skip
            raise
        self.record(AuditEntry(user.name, door, "login", client=client))
        return user

    def by_token(self, secret_text: str) -> User:
        """Return the user of API token `secret_text` (AuthError when it is not usable)."""
        return self.tokens.check(secret_text)

    def record(self, entry: AuditEntry) -> None:
        self.audit.record(entry)

    def prepare(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Make the mask functions callable on `connection`'s database (once each)."""
        with self._lock:
            if id(connection) in self._hash_ready:
                return
            register_hash(connection, secret(self.lh.catalog.sql_engine, MASK_KEY))
            self._hash_ready.add(id(connection))
