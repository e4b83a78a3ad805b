"""How deeply a JSON or NDJSON file nests, measured in a streaming pass before any parser
sees it: DuckDB's JSON functions and Python's `json` recurse per level, and a line of a few
hundred KiB nested 100,000 deep crashes the process.

The file is read in blocks that end at a line break (a line longer than a block is cut, its
level and string state carried over). The depth profile of a block's brackets outside strings
is computed by Arrow kernels: no per-byte work in Python.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from lakebox.errors import ReaderLimitError

BLOCK = 4 * 1024 * 1024  # also the longest piece of a line: a longer line is cut
_DROP = bytes(byte for byte in range(256) if byte not in b'[]{}\n"')
# a character's step in depth as a signed byte: an opening bracket +1, a closing one -1
_STEPS = bytes.maketrans(b'[{]}\n"', b"\x01\x01\xff\xff\x00\x00")
_INT = pa.int32()
_NOT_OPENS = bytes(byte for byte in range(256) if byte not in b"[{\n")


def check(path: Path, cap: int, per_line: bool) -> None:
    """Raise ReaderLimitError if the JSON at `path` nests deeper than `cap` levels: in any
    line (`per_line`, NDJSON: each line is a document), or in the whole file (JSON)."""
    line, depth, quoted = 1, 0, 0
    for block, whole in _blocks(path):
        if per_line and not depth and not quoted and _opens(block) <= cap:
            line += block.count(b"\n")
            continue
        deepest, breaks, depth, quoted = _deepest(block, per_line, depth, quoted)
        if deepest > cap:
            raise ReaderLimitError(
                f"{path.name}: line {line + breaks}: JSON nested more than {cap} levels deep "
                "(limits.json_depth)",
                hint="flatten the data at its source, or raise the source's limits.json_depth",
                file=str(path),
            )
        line += block.count(b"\n")
        if per_line and whole:
            depth = quoted = 0


def _opens(block: bytes) -> int:
    """Return the most brackets any line of `block` opens (in strings too): a bound of the
    depth it reaches, cheap to find since only opening brackets and line breaks are kept."""
    kept = block.translate(None, _NOT_OPENS)
    if len(kept) <= 1:
        return len(kept)
    marks = pa.Array.from_buffers(pa.uint8(), len(kept), [None, pa.py_buffer(kept)])
    opened = pc.cumulative_sum(pc.cast(pc.not_equal(marks, ord("\n")), _INT))
    at_breaks = pc.take(opened, pc.indices_nonzero(pc.equal(marks, ord("\n"))))
    ends = pa.concat_arrays([pa.array([0], _INT), at_breaks, opened[-1:]])
    return pc.max(pc.pairwise_diff(ends)).as_py() or 0


def _blocks(path: Path) -> Iterator[tuple[bytes, bool]]:
    """Yield the file in blocks, and whether each ends at a line break (or the file's end):
    a block is cut elsewhere only inside a line longer than BLOCK, never right after a
    backslash (between it and the character it escapes)."""
    with path.open("rb") as handle:
        rest = b""
        while chunk := handle.read(BLOCK):
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            whole = cut > 0
            if not whole:
                if len(data) < BLOCK:
                    rest = data
                    continue
                cut = len(data.rstrip(b"\\")) or len(data)
            rest = data[cut:]
            yield data[:cut], whole
        if rest:
            yield rest, True


def _deepest(text: bytes, per_line: bool, start: int, quoted: int) -> tuple[int, int, int, int]:
    """Return the deepest level of `text`, how many line breaks come before it first gets
    there, and the level and the string state (1: inside one) at its end. `text` starts at
    level `start`, inside a string if `quoted`; `per_line`: each next line starts at 0.

    A bracket counts unless it is inside a string: after an odd number of the line's quotes,
    escaped quotes and backslashes removed first."""
    kept = text.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _DROP)
    if not kept:
        return start, 0, start, quoted
    marks = pa.Array.from_buffers(pa.uint8(), len(kept), [None, pa.py_buffer(kept)])
    breaks = pc.equal(marks, ord("\n"))
    quotes = pc.add(pc.cumulative_sum(pc.cast(pc.equal(marks, ord('"')), _INT)), quoted)
    inside = pc.bit_wise_and(pc.subtract(quotes, _at_line_start(quotes, breaks)), 1)
    signed = pa.Array.from_buffers(
        pa.int8(), len(kept), [None, pa.py_buffer(kept.translate(_STEPS))]
    )
    step = pc.if_else(pc.equal(inside, 1), 0, pc.cast(signed, _INT))
    level = pc.add(pc.cumulative_sum(step), start)
    end = (level[-1].as_py(), inside[-1].as_py())
    if per_line:
        level = pc.subtract(level, _at_line_start(level, breaks))
    deepest = pc.max(level).as_py()
    index = pc.index(level, deepest).as_py()
    return deepest, kept[:index].count(b"\n"), *end


def _at_line_start(values: pa.Array, breaks: pa.Array) -> pa.Array:
    """Return, at each position, `values` at the line break before it (0 on the first line)."""
    marked = pc.if_else(breaks, values, pa.scalar(None, values.type))
    return pc.fill_null(pc.fill_null_forward(marked), 0)
