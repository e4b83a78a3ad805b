"""Who may log in to the pg endpoint, and whom each session runs as.

Where users are required (an `access:` section, or a bind beyond loopback) and wherever the
server has a shared token, a client logs in by SCRAM-SHA-256 as a lakebox user, with their
password or one of their API tokens (every secret of a user shares the user's salt, so one
exchange checks them all); the shared token (LAKEBOX_TOKEN) is the password of user `token`,
an admin. An unknown or disabled user is sent a salt made from their name and a server secret,
so the exchange looks the same, and fails the same way. Each login and failed login is
audited, and failures are limited per user name and client address. Elsewhere (a laptop) a
client logs in without a password, as the local user."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import cached_property

from lakebox.access.audit import AuditEntry
from lakebox.access.control import access_control
from lakebox.access.principal import Principal
from lakebox.access.scram import Verifier
from lakebox.access.store import secret
from lakebox.errors import AuthError
from lakebox.lakehouse import Lakehouse
from lakebox.serving.identity import SHARED_USER

DOOR = "pg"
SALT_KEY = "pg_unknown_user_salt"  # the server secret unknown users' salts are made from
HINT = (
    "log in with your lakebox user name and password, or one of your API tokens "
    "('lakebox tokens create'); the server's LAKEBOX_TOKEN is the password of user 'token'"
)


@dataclass(frozen=True)
class Attempt:
    """One client's try at logging in as `user`: the salt it is sent and the verifiers its
    proof is checked against (none for a user who may not log in, and `why` not)."""

    user: str
    client: str | None
    salt: bytes
    verifiers: list[Verifier]
    why: str = "wrong password or token"


class Logins:
    """The logins of one pg endpoint serving `lh`: needed when `required` (users required)
    or when the server has a shared `token`."""

    def __init__(self, lh: Lakehouse, token: str | None, required: bool) -> None:
        self.control = access_control(lh)
        self.token = token
        self.needed = required or token is not None
        self.limiter = self.control.limiter

    def attempt(self, user: str, client: str | None) -> Attempt:
        """Return the attempt of `user` to log in from `client`; AuthError (audited) while
        too many of their logins from there failed."""
        try:
            self.limiter.check(user, client)
        except AuthError as error:
            self._record(user, client, "failed login", "refused", error.message)
            raise
        if self.token is not None and user == SHARED_USER:
            salt = self._salt(user)
            return Attempt(user, client, salt, [self._shared_verifier])
        scram = self.control.users.scram(user)
        if scram is None:
            why = "no such user" if self.control.users.find(user) is None else "user disabled"
            return Attempt(user, client, self._salt(user), [], why)
        salt, verifiers = scram
        return Attempt(user, client, salt, [*verifiers, *self.control.tokens.verifiers(user)])

    def succeeded(self, attempt: Attempt) -> Principal | None:
        """Return whom a client that proved its secret logs in as (audited), or None when the
        user was disabled meanwhile."""
        if self.token is not None and attempt.user == SHARED_USER:
            principal = Principal(SHARED_USER, ("admin",), {}, self.control.config)
        else:
            user = self.control.users.find(attempt.user)
            if user is None or user.disabled:
                return None
            principal = self.control.principal(user)
        self.limiter.succeeded(attempt.user, attempt.client)
        self._record(principal.name, attempt.client, "login", "ok")
        return principal

    def abandoned(self, attempt: Attempt) -> None:
        """Uncount an attempt whose client left before sending its proof."""
        self.limiter.released(attempt.user, attempt.client)

    def failed(self, attempt: Attempt) -> None:
        """Count and audit a login whose proof was wrong."""
        self.limiter.failed(attempt.user, attempt.client)
        self._record(attempt.user, attempt.client, "failed login", "refused", attempt.why)

    @staticmethod
    def local() -> Principal:
        """Whom a session runs as where no login is needed."""
        return Principal.local()

    def _record(
        self, user: str, client: str | None, action: str, outcome: str, detail: str | None = None
    ) -> None:
        entry = AuditEntry(user or "?", DOOR, action, client=client, outcome=outcome, detail=detail)
        self.control.record(entry)

    def _salt(self, user: str) -> bytes:
        """Return the salt of a user without SCRAM secrets: the same for a name every time."""
        name = user.encode("utf-8", "surrogatepass")
        return hmac.new(self._salt_key, name, hashlib.sha256).digest()[:16]

    @cached_property
    def _salt_key(self) -> bytes:
        return secret(self.control.lh.catalog.sql_engine, SALT_KEY)

    @cached_property
    def _shared_verifier(self) -> Verifier:
        assert self.token is not None
        return Verifier.of(self.token, self._salt(SHARED_USER))
