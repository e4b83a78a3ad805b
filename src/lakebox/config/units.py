"""Units of measure a column may declare, each with its dimension and its size in the
dimension's base unit.

The SQL that converts between them lives with the formatted zone (`lakebox.formatted.units`).
"""

from __future__ import annotations

# Every unit in terms of its dimension's base unit.
UNITS: dict[str, tuple[str, float]] = {
    "mg": ("mass", 1e-6),
    "g": ("mass", 1e-3),
    "kg": ("mass", 1.0),
    "t": ("mass", 1000.0),
    "tonne": ("mass", 1000.0),
    "tonnes": ("mass", 1000.0),
    "ton": ("mass", 1000.0),
    "lb": ("mass", 0.45359237),
    "ml": ("volume", 1e-3),
    "l": ("volume", 1.0),
    "m3": ("volume", 1000.0),
    "mm": ("length", 1e-3),
    "cm": ("length", 1e-2),
    "m": ("length", 1.0),
    "km": ("length", 1e3),
    "ms": ("time", 1e-3),
    "s": ("time", 1.0),
    "min": ("time", 60.0),
    "h": ("time", 3600.0),
    "wh": ("energy", 1.0),
    "kwh": ("energy", 1e3),
    "mwh": ("energy", 1e6),
}
