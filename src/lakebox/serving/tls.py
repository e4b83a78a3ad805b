"""TLS for the HTTP API and the PostgreSQL endpoint: a PEM certificate and its private key,
checked before anything is served and loaded into a server-side `ssl.SSLContext` (TLS 1.2 at
least), and a client's socket taken through the TLS handshake within a deadline."""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import time
from pathlib import Path

from lakebox.errors import ConfigError

CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----")
PRIVATE_KEY = re.compile(rb"-----BEGIN ((RSA|EC|DSA|ENCRYPTED) )?PRIVATE KEY-----")
ENCRYPTED = re.compile(rb"-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED")
# OpenSSL's reasons for a key that is not the certificate's: of the same type, or of another
# (then it looks for a certificate of the key's type)
NOT_ITS_KEY = frozenset({"KEY_VALUES_MISMATCH", "NO_CERTIFICATE_ASSIGNED"})
TRIAL_CERTIFICATE = (
    "make one for a trial with: openssl req -x509 -newkey rsa:2048 -nodes -days 365 "
    '-subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" '
    "-keyout key.pem -out cert.pem"
)


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """Return a server-side TLS context serving certificate `cert` (PEM, with its chain) with
    private key `key` (PEM, not encrypted); raise ConfigError naming the file that is missing,
    unreadable, not PEM, or not the key of the certificate."""
    _check_pem(cert, "certificate", CERTIFICATE, "tls_cert")
    if ENCRYPTED.search(_check_pem(key, "private key", PRIVATE_KEY, "tls_key")):
        raise ConfigError(
            f"the TLS private key {key} is encrypted with a passphrase",
            hint=f"give the key unencrypted: openssl pkey -in {key} -out key-plain.pem "
            "(and keep that file readable by the server's user only)",
            field="tls_key",
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key, password=_no_passphrase)
    except ssl.SSLError as error:
        raise _unloadable(cert, key, error) from None
    return context


def _check_pem(path: Path, what: str, marker: re.Pattern[bytes], field: str) -> bytes:
    """Return the bytes of `path`, or raise ConfigError when it cannot be read or holds no PEM
    block of `what`."""
    try:
        data = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConfigError(
            f"cannot read the TLS {what} {path}: {reason}",
            hint=f"give the path of a readable PEM file; {TRIAL_CERTIFICATE}",
            field=field,
        ) from None
    if not marker.search(data):
        raise ConfigError(
            f"the TLS {what} {path} is not a PEM {what}",
            hint=f"give a PEM file (text starting with '-----BEGIN'); {TRIAL_CERTIFICATE}",
            field=field,
        )
    return data


def _no_passphrase() -> bytes:
    """Answer OpenSSL's passphrase question (an encrypted key): never prompt on the terminal."""
    raise ConfigError("the TLS private key is encrypted with a passphrase")


def _unloadable(cert: Path, key: Path, error: ssl.SSLError) -> ConfigError:
    """Return the error for a certificate and key that OpenSSL does not accept together."""
    if error.reason in NOT_ITS_KEY:
        return ConfigError(
            f"the TLS private key {key} is not the key of the certificate {cert}",
            hint="give the key the certificate was made with",
            field="tls_key",
        )
    return ConfigError(
        f"cannot load the TLS certificate {cert} with the key {key}: {error.reason or error}",
        hint=f"check that both are intact PEM files; {TRIAL_CERTIFICATE}",
        field="tls_cert",
    )


def accept(context: ssl.SSLContext, sock: socket.socket, deadline: float) -> ssl.SSLSocket:
    """Return `sock` wrapped in TLS as the server side, its handshake done before `deadline`
    (a time.monotonic() value); raise ssl.SSLError when the client does not speak TLS, and
    TimeoutError past the deadline. `sock` is detached either way (its descriptor belongs to
    the returned socket, closed here on an error)."""
    wrapped = context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
    try:
        wrapped.settimeout(max(deadline - time.monotonic(), 0.001))
        wrapped.do_handshake()
    except BaseException:
        wrapped.close()
        raise
    return wrapped


def hang_up(sock: socket.socket) -> None:
    """Close `sock`; over TLS, first tell the client so (close_notify, as PostgreSQL does),
    without waiting for its answer: OpenSSL 3 clients report an end without it as an error."""
    if isinstance(sock, ssl.SSLSocket):
        with contextlib.suppress(OSError, ValueError):
            sock.setblocking(False)
            sock.unwrap()
    sock.close()
