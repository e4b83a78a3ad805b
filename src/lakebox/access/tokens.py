"""`Tokens`: a user's API tokens — made at random, shown once, kept only as a SHA-256 hash
(and a SCRAM verifier under the user's salt, so a token also logs in to pg-wire as a
password), each with an expiry, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from lakebox.access.scram import Verifier
from lakebox.access.store import tokens_table
from lakebox.access.users import User, Users
from lakebox.errors import AuthError, ConfigError

PREFIX = "lbx_"


@dataclass(frozen=True)
class Token:
    """A token as kept (never its secret): id, owner, label, times, whether revoked."""

    id: str
    user: str
    label: str
    created_at: datetime
    expires_at: datetime
    revoked: bool
    last_used_at: datetime | None

    def usable(self, now: datetime) -> bool:
        return not self.revoked and self.expires_at > now


class Tokens:
    """The tokens of one project's users."""

    def __init__(self, users: Users) -> None:
        self.users = users
        self.engine = users.engine

    def create(self, user: str, label: str = "", days: int | None = None) -> tuple[Token, str]:
        """Make a token for `user` valid `days` days; return it and its secret (shown once)."""
        owner = self.users.get(user)
        if days is None:
            days = self.users.access.token_days if self.users.access else 90
        if not 1 <= days <= 3650:
            raise ConfigError(f"a token lasts 1 to 3650 days, not {days}")
        token_id = secrets.token_hex(6)
        secret = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        scram = self.users.scram(owner.name)
        verifier = Verifier.of(secret, scram[0] if scram else None)
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            connection.execute(
                tokens_table.insert().values(
                    id=token_id,
                    user_name=owner.name,
                    label=label[:200],
                    secret_hash=_digest(secret),
                    scram_stored_key=verifier.stored_key,
                    scram_server_key=verifier.server_key,
                    created_at=now,
                    expires_at=now + timedelta(days=days),
                )
            )
        return self.get(token_id), secret

    def get(self, token_id: str) -> Token:
        with self.engine.connect() as connection:
            row = connection.execute(
                tokens_table.select().where(tokens_table.c.id == token_id)
            ).first()
        if row is None:
            raise ConfigError(f"no token {token_id!r}", hint="list them with 'lakebox tokens list'")
        return _token(row)

    def list(self, user: str | None = None) -> list[Token]:
        query = tokens_table.select().order_by(tokens_table.c.created_at)
        if user is not None:
            query = query.where(tokens_table.c.user_name == user)
        with self.engine.connect() as connection:
            return [_token(row) for row in connection.execute(query)]

    def revoke(self, token_id: str) -> Token:
        self.get(token_id)
        with self.engine.begin() as connection:
            connection.execute(
                tokens_table.update()
                .where(tokens_table.c.id == token_id, tokens_table.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        return self.get(token_id)

    def check(self, secret: str) -> User:
        """Return the enabled user whose usable token `secret` is, else AuthError."""
        token_id = secret.removeprefix(PREFIX).partition("_")[0]
        with self.engine.connect() as connection:
            row = connection.execute(
                tokens_table.select().where(tokens_table.c.id == token_id)
            ).first()
        if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
            raise AuthError("the token is not valid", hint="make one with 'lakebox tokens create'")
        token = _token(row)
        now = datetime.now(UTC)
        if not token.usable(now):
            why = "revoked" if token.revoked else f"expired on {token.expires_at:%Y-%m-%d}"
            raise AuthError(f"the token {token.id} was {why}", hint="make a new one")
        user = self.users.get(token.user)
        if user.disabled:
            raise AuthError(f"user {user.name!r} is disabled", hint="an admin can enable them")
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            self._used(token.id, now)
        return user

    def verifiers(self, user: str) -> list[Verifier]:
        """Return the SCRAM verifiers of `user`'s usable tokens (under the user's salt)."""
        scram = self.users.scram(user)
        if scram is None:
            return []
        now = datetime.now(UTC)
        return [
            Verifier(scram[0], bytes(row.scram_stored_key), bytes(row.scram_server_key))
            for row in self._rows(user)
            if _token(row).usable(now)
        ]

    def _rows(self, user: str) -> list[sa.Row[object]]:
        with self.engine.connect() as connection:
            query = tokens_table.select().where(tokens_table.c.user_name == user)
            return list(connection.execute(query))

    def _used(self, token_id: str, now: datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                tokens_table.update().where(tokens_table.c.id == token_id).values(last_used_at=now)
            )


def looks_like_token(secret: str) -> bool:
    return secret.startswith(PREFIX) and "_" in secret.removeprefix(PREFIX)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _token(row: sa.Row[object]) -> Token:
    return Token(
        id=row.id,
        user=row.user_name,
        label=row.label,
        created_at=_aware(row.created_at),
        expires_at=_aware(row.expires_at),
        revoked=row.revoked_at is not None,
        last_used_at=_aware(row.last_used_at) if row.last_used_at else None,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
