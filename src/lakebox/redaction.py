"""Keeping secrets out of messages, logs and the manifest: URLs without passwords or tokens.

Besides the secrets a caller names (a URL's password, a token-like query value), every value
`lakebox.yaml` took from the environment (`${VAR}`) is remembered, process-wide, when the file
loads (`remember`), and `scrub` hides it wherever it appears: in `LakeboxError` messages and
hints (so every surface showing one: the CLI, HTTP JSON errors, pg ErrorResponse), the run and
step errors of `ops.runs`/`ops.step_runs`, alerts, the manifest's pulled locations and every
log record. Values shorter than MIN_LENGTH are not remembered (a `${PORT}` of `80` must not
hide every 80 in every message); each is hidden as written, URL-encoded and URL-decoded. A
URL's password is hidden with its parts around an `@` too (a client that misreads a bare `@`
shows the rest as the host); the config refuses such database URLs anyway.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import traceback
from types import TracebackType
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlencode, urlsplit, urlunsplit

HIDDEN = "***"
MIN_LENGTH = 4  # a remembered value shorter than this is left visible
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


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Return `text` with every secret (longer than two characters) and every remembered
    environment value replaced by ***."""
    named = (s for s in secrets if s and len(s) > 2)
    for secret in sorted({*named, *_remembered}, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    return text


_remembered: frozenset[str] = frozenset()
_lock = threading.Lock()


def remember(value: str) -> None:
    """Hide `value` (a value taken from the environment) from every message of this process,
    in all the forms it may take (see the module's docstring)."""
    global _remembered
    forms = variants(value)
    if not forms or forms <= _remembered:
        return
    with _lock:
        _remembered = _remembered | forms
    _install_log_redaction()


def remembered() -> frozenset[str]:
    """Return every form of every value remembered so far."""
    return _remembered


def forget_all() -> None:
    """Forget the remembered values (for tests that load several projects in one process)."""
    global _remembered
    with _lock:
        _remembered = frozenset()


def variants(value: str) -> frozenset[str]:
    """Return the forms of `value` to hide: as written, URL-encoded, URL-decoded, escaped as
    JSON and as a Python repr; none shorter than MIN_LENGTH."""
    whole = {
        value,
        unquote(value),
        quote(value, safe=""),
        quote(value, safe="/:@!$&'()*+,;=~"),
        quote_plus(value),
        json.dumps(value)[1:-1],
        repr(value)[1:-1],
    }
    return frozenset(form for form in whole if len(form) >= MIN_LENGTH)


class _RedactingRecords:
    """A log record factory that scrubs each record's message and traceback as it is made,
    so whatever handler writes it (a terminal, a file, a test's capture) sees no secret."""

    def __init__(self, make: object) -> None:
        self.make = make

    def __call__(self, *args: object, **kwargs: object) -> logging.LogRecord:
        record: logging.LogRecord = self.make(*args, **kwargs)  # type: ignore[operator]
        if not _remembered:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: the handler reports it as usual
            return record
        clean = scrub(message)
        if clean != message:
            _scrub_record(record, clean)
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return record


def _scrub_record(record: logging.LogRecord, clean: str) -> None:
    """Scrub the message and text arguments of `record`, keeping its arguments apart when
    that is enough (some formatters read them, e.g. uvicorn's access log)."""
    if isinstance(record.args, tuple):
        record.msg = scrub(str(record.msg))
        record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        try:
            kept = record.getMessage() == clean
        except Exception:  # the scrubbed arguments no longer fit: keep the whole message
            kept = False
        if kept:
            return
    record.msg, record.args = clean, None


def _install_log_redaction() -> None:
    """Make every log record, and the traceback of an uncaught exception, of this process
    scrubbed (once)."""
    with _lock:
        current = logging.getLogRecordFactory()
        if not isinstance(current, _RedactingRecords):
            logging.setLogRecordFactory(_RedactingRecords(current))
        if sys.excepthook is sys.__excepthook__:
            sys.excepthook = _scrubbed_traceback


def _scrubbed_traceback(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """Print an uncaught exception's traceback as Python does, without secrets."""
    sys.stderr.write(scrub("".join(traceback.format_exception(kind, error, trace))))


def url_secrets(url: str) -> tuple[str, ...]:
    """Return the secrets written in a URL: its password and secret-looking query values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ()
    found = [parts.password] if parts.password else []
    if parts.password and "%" in parts.password:
        found.append(unquote(parts.password))
    if parts.password and "@" in parts.password:  # a client may take the rest for the host
        found += parts.password.split("@")
    found += [
        value
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if is_secret_name(name)
    ]
    return tuple(found)
