"""Units of measure: SQL giving the factor that converts a quantity from one unit to another
(the units themselves are `lakebox.config.units`)."""

from __future__ import annotations

from lakebox.config.units import UNITS
from lakebox.errors import ConfigError
from lakebox.ground.sql import quote_literal


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
