"""Options `lakebox serve` and `lakebox pg` share: where to bind, the token, query limits."""

from __future__ import annotations

import os
from typing import Annotated

import typer

HostOption = Annotated[
    str, typer.Option(help="The address to bind; other than 127.0.0.1 needs a token.")
]
RowLimitOption = Annotated[int, typer.Option(help="The most rows a query returns.")]
TimeoutOption = Annotated[float, typer.Option(help="Seconds a query may run.")]


def token_in(token_env: str) -> str | None:
    """Return the token held by environment variable `token_env`, or None if it is unset or
    empty."""
    return os.environ.get(token_env) or None
