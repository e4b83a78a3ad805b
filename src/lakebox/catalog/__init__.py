"""What tables exist: the Iceberg SQL catalog, the batch identity of every commit, and the
landing manifest kept in the catalog's database (`manifest`, `manifest_arrow`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lakebox.catalog.refs import ABSENT_PROPERTY, BATCH_PROPERTY, CURSOR_PROPERTY, TableRef

if TYPE_CHECKING:
    from lakebox.catalog.iceberg import Catalog

__all__ = ["ABSENT_PROPERTY", "BATCH_PROPERTY", "CURSOR_PROPERTY", "Catalog", "TableRef"]


def __getattr__(name: str) -> Any:
    """`Catalog` is imported on first use: it brings pyiceberg, which reading SQL needs not."""
    if name == "Catalog":
        from lakebox.catalog.iceberg import Catalog

        return Catalog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
