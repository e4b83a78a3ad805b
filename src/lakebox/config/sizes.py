"""Sizes in bytes as lakebox.yaml writes them: DuckDB's memory units (`2GB`, `512 MiB`), a
share of this machine's memory (`75%`) or a plain number of bytes."""

from __future__ import annotations

import os
import re

# DuckDB's memory units (its parser, tried on 1.5.5): 1000^i and 1024^i bytes, any case.
_MEMORY_UNITS = {
    **dict.fromkeys(("k", "kb", "kilobyte", "kilobytes"), 1000),
    **dict.fromkeys(("m", "mb", "megabyte", "megabytes"), 1000**2),
    **dict.fromkeys(("g", "gb", "gigabyte", "gigabytes"), 1000**3),
    **dict.fromkeys(("t", "tb", "terabyte", "terabytes"), 1000**4),
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_BYTE_UNITS = {"": 1, "b": 1, **_MEMORY_UNITS}
_MEMORY = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*|%)\s*")


def memory_bytes(value: str) -> int:
    """Return the bytes of a memory size as DuckDB reads it (`2GB`, `512 MiB`), or of a
    percentage of this machine's memory (`75%`); raise ValueError for anything else."""
    match = _MEMORY.fullmatch(value)
    unit = match.group(2).lower() if match else ""
    if match is None or (unit != "%" and unit not in _MEMORY_UNITS):
        raise ValueError(f"{value!r} is not a size; use e.g. 2GB, 512MiB or 75%")
    number = float(match.group(1))
    if unit == "%":
        if not 0 < number <= 100:
            raise ValueError(f"{value!r} is not a percentage of the memory between 1% and 100%")
        return int(_physical_memory() * number / 100)
    return int(number * _MEMORY_UNITS[unit])


def _physical_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def size_bytes(value: object) -> int:
    """Return a size like 64MB, 512KiB or 1000000 as a number of bytes (the units of
    `engine.memory_limit`, plus B and none for bytes)."""
    match = None if isinstance(value, bool) else _MEMORY.fullmatch(str(value))
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _BYTE_UNITS:
        raise ValueError(f"{value!r} is not a size like '64MB' or '512KiB'")
    return int(float(match.group(1)) * _BYTE_UNITS[unit])
