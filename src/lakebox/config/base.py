"""What every section of lakebox.yaml shares: a model that refuses unknown keys, and names
that must be lower-case identifiers."""

from __future__ import annotations

import re
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

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


def refuse(location: tuple[str | int, ...], message: str, value: object) -> NoReturn:
    """Raise a validation error at `location` in the model being checked, so that the error
    names the line of the key at fault rather than the model's first line."""
    error = PydanticCustomError("value_error", "Value error, {message}", {"message": message})
    details = InitErrorDetails(type=error, loc=location, input=value)
    raise ValidationError.from_exception_data("ProjectConfig", [details])
