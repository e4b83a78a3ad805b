"""One HTTP response body, streamed into the temporal landing area under two caps: the bytes
received (`max_raw_body_bytes`) and the bytes once decompressed (`max_body_bytes`, which
stops a gzip bomb after a bounded amount of output). A body past a cap is cut there and
refused with the reason; its first bytes are kept so its page can be quarantined."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx

from lakebox.landing.sources.http_deadline import PullDeadline

ACCEPTED_ENCODINGS = "gzip, deflate"  # the ones decompressed here, a chunk at a time
_STEP = 1024 * 1024  # the most a compressed chunk expands to at once
KEPT = 64 * 1024  # how much of a refused body its quarantined page keeps


@dataclass(frozen=True)
class BodyLimits:
    """The caps on one body, and the keys that set them (for the messages)."""

    raw: int
    decoded: int
    raw_key: str
    decoded_key: str


@dataclass
class Body:
    """A body read into `path` (decoded, at most the cap), or why it was refused."""

    path: Path
    encoding: str
    refused: str | None = None

    def text(self, most: int | None = None) -> str:
        """Return the body as text (its first `most` bytes)."""
        with self.path.open("rb") as handle:
            data = handle.read(-1 if most is None else most)
        return decoded(data, self.encoding)


def read_body(
    response: httpx.Response, spool: Path, limits: BodyLimits, deadline: PullDeadline, what: str
) -> Body:
    """Stream `response`'s body into `spool`, checking the caps and the deadline after every
    chunk received; stop at the first cap passed."""
    body = Body(spool, _charset(response))
    declared = response.headers.get("Content-Length", "")
    with spool.open("wb") as out:
        if declared.isdigit() and int(declared) > limits.raw:
            body.refused = _too_large(
                limits.raw_key, limits.raw, f"(its Content-Length says {int(declared)} bytes)"
            )
            return body
        try:
            decoder = _Decoder(response.headers.get("Content-Encoding", ""))
            body.refused = _copy(response, out, decoder, limits, deadline, what)
        except _Undecodable as error:
            body.refused = str(error)
    return body


def _copy(
    response: httpx.Response,
    out: BinaryIO,
    decoder: _Decoder,
    limits: BodyLimits,
    deadline: PullDeadline,
    what: str,
) -> str | None:
    written = 0
    for chunk in response.iter_raw():
        deadline.check(what)
        if response.num_bytes_downloaded > limits.raw:
            return _too_large(limits.raw_key, limits.raw)
        for piece in decoder.decode(chunk):
            room = limits.decoded - written
            written += out.write(piece[:room])
            if len(piece) > room:
                return _too_large(limits.decoded_key, limits.decoded, "once decompressed")
    # a body ending with the connection may have been ended by the deadline's watchdog
    deadline.check(what)
    for piece in decoder.flush():
        room = limits.decoded - written
        written += out.write(piece[:room])
        if len(piece) > room:
            return _too_large(limits.decoded_key, limits.decoded, "once decompressed")
    return None


def _too_large(key: str, cap: int, detail: str = "") -> str:
    return (
        f"response body is larger than {key} ({human_size(cap)})"
        + (f" {detail}" if detail else "")
        + f"; the page is refused (raise {key} if the API's pages are that large)"
    )


def human_size(size: int) -> str:
    """Return a size as a reader writes it: `64 MiB`, `512 KiB`, `1000 bytes`."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def _charset(response: httpx.Response) -> str:
    charset = response.charset_encoding or "utf-8"
    try:
        "".encode(charset)
    except (LookupError, UnicodeError):  # unknown, or a codec that fails whatever it is given
        return "utf-8"
    return charset


def decoded(data: bytes, charset: str) -> str:
    """Return `data` as text in the body's charset, or in UTF-8 when that codec cannot
    decode it (some, as `idna` or `punycode`, raise whatever the error handler says)."""
    try:
        return data.decode(charset, errors="replace")
    except UnicodeError:
        return data.decode("utf-8", errors="replace")


class _Undecodable(Exception):
    """A body in an encoding not asked for, or whose compressed data is broken."""


class _Decoder:
    """Decompresses a body chunk by chunk, never more than `_STEP` bytes at once."""

    def __init__(self, encoding: str) -> None:
        self.name = encoding.strip().lower()
        self._fed: bytes | None = b""  # a deflate body's first bytes, until its header passed
        if self.name in ("", "identity"):
            self._inflate = None
        elif self.name in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.name == "deflate":  # zlib-wrapped, as RFC 9110 says, or raw (servers differ)
            self._inflate = zlib.decompressobj()
        else:
            raise _Undecodable(
                f"response body has Content-Encoding {encoding!r}, which was not asked for "
                f"(lakebox accepts {ACCEPTED_ENCODINGS})"
            )

    def decode(self, data: bytes) -> Iterator[bytes]:
        """Yield the decompressed pieces of `data`, each at most `_STEP` bytes."""
        if self._inflate is None:
            if data:
                yield data
            return
        while data:
            try:
                piece = self._inflate.decompress(data, _STEP)
            except zlib.error as error:
                if self.name != "deflate" or self._fed is None:
                    raise _Undecodable(
                        f"response body is not valid {self.name} data ({error})"
                    ) from None
                # no zlib header (checked in its first two bytes): raw deflate, from the start
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                data, self._fed = self._fed + data, None
                continue
            if self._fed is not None:  # fed without error: past the header once two bytes in
                self._fed += data
                self._fed = self._fed if len(self._fed) < 2 else None
            if piece:
                yield piece
            data = self._inflate.unconsumed_tail
            if not piece and not data:
                break

    def flush(self) -> Iterator[bytes]:
        """Yield what the decompressor still holds once the body has ended."""
        if self._inflate is not None:
            rest = self._inflate.flush()
            if rest:
                yield rest


def peek_text(response: httpx.Response, most: int = 4096) -> str:
    """Return the first `most` bytes of a body as text (an error page's detail)."""
    data = b""
    try:
        decoder = _Decoder(response.headers.get("Content-Encoding", ""))
        for chunk in response.iter_raw():
            for piece in decoder.decode(chunk):
                data += piece[: most - len(data)]
                if len(data) >= most:
                    return decoded(data, _charset(response))
    except (_Undecodable, httpx.HTTPError):
        pass
    return decoded(data, _charset(response))
