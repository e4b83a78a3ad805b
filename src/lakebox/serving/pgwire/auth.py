"""Password authentication by SCRAM-SHA-256 (RFC 5802/7677, as PostgreSQL does it): the
password never crosses the wire, and the proof is checked in constant time against each secret
the user has (their password and their API tokens share one salt)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from lakebox.access.scram import ITERATIONS, Verifier, scram_hmac

__all__ = ["ITERATIONS", "MECHANISM", "ScramExchange", "Verifier"]

MECHANISM = "SCRAM-SHA-256"
_hmac = scram_hmac


class ScramExchange:
    """One SCRAM exchange: the client's first message in, the server's first out, then the
    client's proof in and the server's signature out (or None when the proof matches none of
    the `verifiers`, all made with `salt`; none at all for a user who may not log in)."""

    def __init__(self, salt: bytes, verifiers: list[Verifier]) -> None:
        self.salt = salt
        self.verifiers = verifiers
        self.nonce = ""
        self.client_first_bare = ""
        self.server_first = ""

    def first(self, client_first: str) -> str:
        """Return the server-first message answering the client-first message."""
        parts = client_first.split(",", 2)  # gs2 header (channel binding, authzid), then bare
        self.client_first_bare = parts[2] if len(parts) == 3 else ""
        client_nonce = _attribute(self.client_first_bare, "r")
        self.nonce = client_nonce + base64.b64encode(os.urandom(18)).decode()
        salt = base64.b64encode(self.salt).decode()
        self.server_first = f"r={self.nonce},s={salt},i={ITERATIONS}"
        return self.server_first

    def final(self, client_final: str) -> str | None:
        """Return the server-final message, or None when the client's proof is wrong."""
        without_proof, _, proof_part = client_final.rpartition(",p=")
        if _attribute(without_proof, "r") != self.nonce:
            return None
        message = f"{self.client_first_bare},{self.server_first},{without_proof}".encode()
        try:
            proof = base64.b64decode(proof_part, validate=True)
        except ValueError:
            return None
        matched = [verifier for verifier in self.verifiers if _proves(proof, verifier, message)]
        if not matched:
            return None
        server_signature = _hmac(matched[0].server_key, message)
        return "v=" + base64.b64encode(server_signature).decode()


def _proves(proof: bytes, verifier: Verifier, message: bytes) -> bool:
    """Whether `proof` shows the client knows the secret of `verifier` (constant time)."""
    signature = _hmac(verifier.stored_key, message)
    client_key = bytes(a ^ b for a, b in zip(proof, signature, strict=False))
    stored = hashlib.sha256(client_key).digest()
    return len(proof) == len(signature) and hmac.compare_digest(stored, verifier.stored_key)


def _attribute(message: str, name: str) -> str:
    for part in message.split(","):
        if part.startswith(f"{name}="):
            return part[2:]
    return ""
