"""lakebox: a local-first lakehouse on DuckDB over Apache Iceberg.

`Lakehouse`, `open` and `open_project` load on first use, so `import lakebox` (and every CLI
start) does not pay for the engine, the catalog and Arrow until they are needed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakebox.errors import LakeboxError
from lakebox.ground.version import __version__

if TYPE_CHECKING:
    from lakebox.lakehouse import Lakehouse, open_project

    open = open_project

__all__ = ["LakeboxError", "Lakehouse", "__version__", "open", "open_project"]

_LAZY = {"Lakehouse": "Lakehouse", "open_project": "open_project", "open": "open_project"}


def __getattr__(name: str) -> Any:
    """Import `lakebox.lakehouse` when one of its names is first asked for."""
    if name not in _LAZY:
        raise AttributeError(f"module 'lakebox' has no attribute {name!r}")
    from lakebox import lakehouse

    value = getattr(lakehouse, _LAZY[name])
    globals()[name] = value
    return value
