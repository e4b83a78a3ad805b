"""Source kinds: each offers raw objects and copies them into the temporal landing area.

A `files` source offers every file it finds. A pulled source (a database, an HTTP API)
offers one object per pull: fetching it extracts what is new since the source's state. The
kinds share the types of `base` and register there, one module per kind.
"""

from __future__ import annotations

from lakebox.landing.sources.base import SOURCE_KINDS, SourceContext, SourceKind


def kind_for(context: SourceContext) -> SourceKind:
    """Return the source kind implementation for `context.source`."""
    from lakebox.landing.sources import database, files, http  # noqa: F401 - registers built-ins

    return SOURCE_KINDS[context.source.kind](context)
