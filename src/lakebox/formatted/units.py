"""Units of measure: the factor that converts a quantity from one unit to another."""

from __future__ import annotations

from lakebox.errors import ConfigError
from lakebox.ground.sql import quote_literal

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


def factor_sql(unit_expression: str, target: str) -> str:
    """Return SQL giving the factor from the unit in `unit_expression` to `target` (NULL if
    the unit is unknown or of another dimension)."""
    if target.lower() not in UNITS:
        raise ConfigError(f"unknown unit {target!r}", hint=f"known units: {', '.join(UNITS)}")
    dimension, base = UNITS[target.lower()]
    cases = " ".join(
        f"WHEN {quote_literal(name)} THEN {factor / base!r}"
        for name, (unit_dimension, factor) in UNITS.items()
        if unit_dimension == dimension
    )
    return f"CASE {unit_expression} {cases} END"
