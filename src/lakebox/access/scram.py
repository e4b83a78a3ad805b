"""SCRAM-SHA-256 verifiers (RFC 5802/7677, as PostgreSQL keeps them): what the server keeps
of a password or token so that a PostgreSQL client can prove it knows it without sending it.
Every secret of one user shares the user's salt, so one exchange can check all of them."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

ITERATIONS = 4096


def scram_hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


@dataclass(frozen=True)
class Verifier:
    """What the server keeps of a secret: salt, stored key and server key."""

    salt: bytes
    stored_key: bytes
    server_key: bytes

    @classmethod
    def of(cls, secret: str, salt: bytes | None = None) -> Verifier:
        """Return the verifier of `secret` with `salt` (a new random one when None)."""
        salt = salt if salt is not None else os.urandom(16)
        salted = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt, ITERATIONS)
        client_key = scram_hmac(salted, b"Client Key")
        return cls(salt, hashlib.sha256(client_key).digest(), scram_hmac(salted, b"Server Key"))
