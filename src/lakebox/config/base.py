"""What every section of lakebox.yaml shares: a model that refuses unknown keys, and names
that must be lower-case identifiers."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
_Named = TypeVar("_Named", bound=dict[str, Any])


class Strict(BaseModel):
    """A section (or part of one) in which a key it does not know is an error."""

    model_config = ConfigDict(extra="forbid")


def identifiers(named: _Named, what: str) -> _Named:
    """Return `named` if every key is a lower-case identifier, else say which is not."""
    for name in named:
        if not IDENTIFIER.fullmatch(name):
            raise ValueError(f"{what} {name!r} must be lower-case letters, digits and _")
    return named
