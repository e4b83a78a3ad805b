"""`Users`: adding, listing, disabling users and changing their passwords and roles, and
checking who a password belongs to. A password is kept as an argon2 hash (for HTTP and the
web UI) and a SCRAM verifier (for pg-wire); neither can give the password back."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from lakebox.access.principal import Principal
from lakebox.access.scram import Verifier
from lakebox.access.store import ready, users_table
from lakebox.config.access import BUILTIN_ROLES, AccessConfig
from lakebox.errors import AuthError, ConfigError

USER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}")
MIN_PASSWORD = 8
_HASHER = PasswordHasher()
# a hash to check a wrong user's password against, so that a login takes as long either way
_DUMMY = _HASHER.hash("lakebox: no such user")


@dataclass(frozen=True)
class User:
    """A user as kept: name, roles, attributes, whether disabled, and whether they have a
    password (a user with tokens only has none)."""

    name: str
    roles: tuple[str, ...]
    attributes: dict[str, str]
    disabled: bool
    has_password: bool
    created_at: datetime

    def principal(self, access: AccessConfig | None) -> Principal:
        """Return the principal of this user under `access`."""
        return Principal(self.name, self.roles, dict(self.attributes), access)


class Users:
    """The users of one project, kept in its catalog database."""

    def __init__(self, engine: sa.Engine, access: AccessConfig | None = None) -> None:
        self.engine = ready(engine)
        self.access = access

    def add(
        self,
        name: str,
        roles: list[str],
        password: str | None = None,
        attributes: dict[str, str] | None = None,
    ) -> User:
        """Add user `name` with `roles` (ConfigError if the name is taken or not valid)."""
        _check_name(name)
        self._check_roles(roles)
        now = datetime.now(UTC)
        values = {
            "name": name,
            "roles": ",".join(roles),
            "attributes": json.dumps(attributes or {}, sort_keys=True),
            "disabled": False,
            "created_at": now,
            "updated_at": now,
            **_password_columns(password, None),
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(users_table.insert().values(**values))
        except sa.exc.IntegrityError:
            raise ConfigError(
                f"a user named {name!r} exists already",
                hint="change their password with 'lakebox users passwd'",
            ) from None
        return self.get(name)

    def get(self, name: str) -> User:
        """Return user `name` (ConfigError when there is none)."""
        row = self._row(name)
        if row is None:
            raise ConfigError(
                f"no user named {name!r}", hint="list users with 'lakebox users list'"
            )
        return _user(row)

    def find(self, name: str) -> User | None:
        row = self._row(name)
        return _user(row) if row is not None else None

    def list(self) -> list[User]:
        with self.engine.connect() as connection:
            rows = connection.execute(users_table.select().order_by(users_table.c.name))
            return [_user(row) for row in rows]

    def passwd(self, name: str, password: str) -> None:
        """Set user `name`'s password (their SCRAM salt stays, so their tokens still work)."""
        row = self._existing(name)
        self._update(name, **_password_columns(password, bytes(row.scram_salt)))

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        self._existing(name)
        self._update(name, disabled=disabled)

    def set_roles(self, name: str, roles: list[str]) -> None:
        self._existing(name)
        self._check_roles(roles)
        self._update(name, roles=",".join(roles))

    def set_attributes(self, name: str, attributes: dict[str, str]) -> None:
        self._existing(name)
        self._update(name, attributes=json.dumps(attributes, sort_keys=True))

    def check_password(self, name: str, password: str) -> User:
        """Return user `name` if `password` is theirs and they are enabled, else AuthError
        (the same message for a wrong name and a wrong password)."""
        row = self._row(name)
        stored = row.password_hash if row is not None else None
        try:
            _HASHER.verify(stored or _DUMMY, password)
            right = stored is not None
        except (VerificationError, InvalidHashError):
            right = False
        if not right or row is None:
            raise AuthError(f"wrong user name or password for {name!r}")
        user = _user(row)
        if user.disabled:
            raise AuthError(f"user {name!r} is disabled", hint="an admin can enable them")
        return user

    def scram(self, name: str) -> tuple[bytes, list[Verifier]] | None:
        """Return user `name`'s SCRAM salt and password verifier (none without a password),
        or None for an unknown or disabled user."""
        row = self._row(name)
        if row is None or row.disabled:
            return None
        verifiers = []
        if row.scram_stored_key is not None:
            salt = bytes(row.scram_salt)
            stored, server = bytes(row.scram_stored_key), bytes(row.scram_server_key)
            verifiers.append(Verifier(salt, stored, server))
        return bytes(row.scram_salt), verifiers

    def _check_roles(self, roles: list[str]) -> None:
        known = set(BUILTIN_ROLES) | set(self.access.roles if self.access else {})
        unknown = [role for role in roles if role not in known]
        if unknown or not roles:
            what = f"unknown role {unknown[0]!r}" if unknown else "a user needs a role"
            raise ConfigError(what, hint=f"roles: {', '.join(sorted(known))}")

    def _existing(self, name: str) -> sa.Row[object]:
        row = self._row(name)
        if row is None:
            raise ConfigError(
                f"no user named {name!r}", hint="list users with 'lakebox users list'"
            )
        return row

    def _row(self, name: str) -> sa.Row[object] | None:
        with self.engine.connect() as connection:
            query = users_table.select().where(users_table.c.name == name)
            return connection.execute(query).first()

    def _update(self, name: str, **values: object) -> None:
        values["updated_at"] = datetime.now(UTC)
        with self.engine.begin() as connection:
            connection.execute(
                users_table.update().where(users_table.c.name == name).values(**values)
            )


def _password_columns(password: str | None, salt: bytes | None) -> dict[str, object]:
    """Return the columns keeping `password` (none kept for None) under the user's salt."""
    verifier = Verifier.of(password or "", salt)
    if password is None:
        return {"password_hash": None, "scram_salt": verifier.salt, "scram_stored_key": None,
                "scram_server_key": None}  # fmt: skip
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"a password needs at least {MIN_PASSWORD} characters")
    return {
        "password_hash": _HASHER.hash(password),
        "scram_salt": verifier.salt,
        "scram_stored_key": verifier.stored_key,
        "scram_server_key": verifier.server_key,
    }


def _check_name(name: str) -> None:
    if not USER_NAME.fullmatch(name):
        raise ConfigError(
            f"user name {name!r} is not valid",
            hint="use up to 64 letters, digits and _ . @ - (not starting with . @ -)",
        )


def _user(row: sa.Row[object]) -> User:
    attributes = json.loads(row.attributes) if row.attributes else {}
    return User(
        name=row.name,
        roles=tuple(role for role in row.roles.split(",") if role),
        attributes={str(key): str(value) for key, value in attributes.items()},
        disabled=bool(row.disabled),
        has_password=row.password_hash is not None,
        created_at=_aware(row.created_at),
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
