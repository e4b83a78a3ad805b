"""Keeping secrets out of messages, logs and the manifest: URLs without passwords or tokens."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

HIDDEN = "***"
# Query parameters whose values are credentials, whatever the API calls them.
_SECRET_NAMES = re.compile(
    r"(pass|pwd|secret|token|key|auth|signature|sig|credential|session)", re.IGNORECASE
)


def redact_url(url: str, secrets: tuple[str, ...] = ()) -> str:
    """Return `url` without its password, and with secret-looking query values hidden."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return scrub(url, secrets)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}@{host}" if user else host
    query = urlencode(
        [
            (name, HIDDEN if is_secret_name(name) or value in secrets else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*:,/",
    )
    return scrub(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)), secrets)


def is_secret_name(name: str) -> bool:
    """Return whether a query parameter or header named `name` holds a credential."""
    return bool(_SECRET_NAMES.search(name))


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Return `text` with every secret (longer than two characters) replaced by ***."""
    for secret in sorted((s for s in secrets if s and len(s) > 2), key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return text


def url_secrets(url: str) -> tuple[str, ...]:
    """Return the secrets written in a URL: its password and secret-looking query values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ()
    found = [parts.password] if parts.password else []
    if parts.password and "%" in parts.password:
        found.append(unquote(parts.password))
    found += [
        value
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if is_secret_name(name)
    ]
    return tuple(found)
