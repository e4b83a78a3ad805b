"""Where bytes live: a local folder or an S3-compatible bucket, behind one small interface."""

from lakebox.storage.filesystem import Storage

__all__ = ["Storage"]
