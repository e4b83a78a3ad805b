"""`${VAR}` and `${VAR:-default}` in lakebox.yaml: secrets and settings from the environment,
remembered so that no message shows them."""

from __future__ import annotations

import os
import re
from typing import Any

from lakebox import redaction
from lakebox.errors import ConfigError

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(value: Any, done: dict[int, Any] | None = None) -> Any:
    """Return `value` with `${VAR}` references replaced; a mapping or list that YAML aliases
    share is expanded once and stays shared (so nested aliases cannot multiply the work)."""
    done = {} if done is None else done
    if isinstance(value, dict | list) and id(value) in done:
        return done[id(value)]
    if isinstance(value, dict):
        expanded: Any = done.setdefault(id(value), {})
        expanded.update((key, expand_env(item, done)) for key, item in value.items())
        return expanded
    if isinstance(value, list):
        expanded = done.setdefault(id(value), [])
        expanded.extend(expand_env(item, done) for item in value)
        return expanded
    if isinstance(value, str):
        return _ENV_REFERENCE.sub(_env_value, value)
    return value


def _env_value(match: re.Match[str]) -> str:
    name, default = match.group(1), match.group(2)
    if os.environ.get(name) or (name in os.environ and default is None):
        redaction.remember(os.environ[name])  # hidden from every message from now on
        return os.environ[name]
    if default is not None:
        return default
    raise ConfigError(
        f"environment variable {name} is not set", hint=f"export {name}=… before running lakebox"
    )
