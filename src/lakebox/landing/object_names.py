"""Names of landed objects: any file name a source offers becomes a safe, short stored name.

A name may hold bytes that are not UTF-8 (Linux allows any byte but `/` and NUL): Python
carries them as lone surrogates, which no database or object store takes. Those bytes are
written as `%XX`, and so are control characters (a newline in a name would forge a line of
the run's log). So that no two names end up the same (`caf%FF.csv` and `caf<0xFF>.csv`), a `%`
that two hex digits follow is written `%25`; any other `%` stays as it is. A long name (the
batch id goes in front of it) is cut, keeping its extension, and made unique again with a
hash of the whole name; the manifest keeps the original path.
"""

from __future__ import annotations

import codecs
import hashlib
import re

MAX_NAME_BYTES = 120  # of the landed name after `<batch>__`; file systems allow 255
_SUFFIX_BYTES = 16  # the longest extension kept when a name is cut
_HASH_CHARS = 12
_ESCAPE_LOOKALIKE = re.compile(r"%(?=[0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _percent(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(f"%{byte:02X}" for byte in bad), error.end


codecs.register_error("lakebox-percent", _percent)


_URL = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def safe_text(text: str) -> str:
    """Return `text` as valid, printable UTF-8 text: bytes a file name held that are not UTF-8
    (carried as lone surrogates) and control characters become `%XX`, and a `%` two hex digits
    follow becomes `%25`, so different names never give the same text; other text is kept."""
    text = _ESCAPE_LOOKALIKE.sub("%25", text)
    text = _CONTROL.sub(lambda match: f"%{ord(match.group()):02X}", text)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no file system byte stands for
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "lakebox-percent")


def stored_path(path: str) -> str:
    """Return how the manifest records where an object came from: a pull's URL as it is (its
    `%XX` are its own; only a control character is escaped), a file's path as `safe_text`."""
    if _URL.match(path):
        return _CONTROL.sub(lambda match: f"%{ord(match.group()):02X}", path)
    return safe_text(path)


def landed_name(name: str) -> str:
    """Return the name an object offered as `name` is stored under: safe text with no path
    separator, at most MAX_NAME_BYTES bytes long (a longer one is cut, keeps its extension
    and ends with a hash of the whole name)."""
    safe = safe_text(name).replace("/", "%2F").replace("\\", "%5C") or "object"
    if safe in (".", ".."):  # the folder itself or its parent, not a file in it
        safe = safe.replace(".", "%2E")
    if len(safe.encode("utf-8")) <= MAX_NAME_BYTES:
        return safe
    stem, dot, extension = safe.rpartition(".")
    suffix = f".{extension}" if dot and stem and len(extension.encode()) < _SUFFIX_BYTES else ""
    digest = hashlib.sha256(safe.encode("utf-8")).hexdigest()[:_HASH_CHARS]
    room = MAX_NAME_BYTES - len(suffix.encode()) - _HASH_CHARS - 1
    head = safe.encode("utf-8")[:room].decode("utf-8", "ignore")  # a whole character last
    return f"{head}-{digest}{suffix}"
