"""Source kinds: each offers raw objects and copies them into the temporal landing area.

A `files` source offers every file it finds. A pulled source (a database, an HTTP API)
offers one object per pull: fetching it extracts what is new since the source's state. The
kinds share the types of `base` and register there, one module per kind.
"""

from __future__ import annotations

import importlib

from lakebox.landing.sources.base import SOURCE_KINDS, SourceContext, SourceKind

# the module of each built-in kind (every other kind is a database's); only the one a source
# needs is imported (an HTTP client costs half a second to import)
_MODULES = {"files": "files", "http": "http"}


def kind_for(context: SourceContext) -> SourceKind:
    """Return the source kind implementation for `context.source`."""
    kind = context.source.kind
    importlib.import_module(f"{__name__}.{_MODULES.get(kind, 'database')}")  # registers it
    return SOURCE_KINDS[kind](context)
