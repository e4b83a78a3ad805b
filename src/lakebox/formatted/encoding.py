"""Text encoding detection for delimited files: UTF-8 (with or without BOM), UTF-16, cp1252."""

from __future__ import annotations

import codecs
from pathlib import Path

SAMPLE_BYTES = 1024 * 1024
_CHUNK = 4 * 1024 * 1024


def detect(path: Path, declared: str | None = None) -> str:
    """Return the encoding of `path`: 'utf-8', 'utf-16', 'latin-1' or 'cp1252'."""
    if declared:
        return codecs.lookup(declared).name
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _mostly_utf8(sample):
        return "utf-8"
    return "cp1252" if _decodes(sample, "cp1252") else "latin-1"


def transcode_to_utf8(path: Path, encoding: str, target: Path) -> None:
    """Write `path` re-encoded as UTF-8 into `target`, streaming."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as sink:
        while chunk := source.read(_CHUNK):
            sink.write(decoder.decode(chunk))
        sink.write(decoder.decode(b"", final=True))


def _mostly_utf8(sample: bytes) -> bool:
    """UTF-8 when the sample decodes, or holds any valid multi-byte character: single-byte
    text (cp1252) practically never forms one, so the invalid bytes are junk to quarantine."""
    text = sample.decode("utf-8", errors="replace")
    if "\ufffd" not in text:
        return True
    return any(ord(character) > 127 and character != "\ufffd" for character in text)


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        sample.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True
