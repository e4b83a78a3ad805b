"""What tables exist: the Iceberg SQL catalog and the batch identity of every commit."""

from lakebox.catalog.iceberg import BATCH_PROPERTY, Catalog, TableRef

__all__ = ["BATCH_PROPERTY", "Catalog", "TableRef"]
