"""Orphaned files: files in a table's `data/` and `metadata/` folders that no live snapshot
or metadata file of any table references (the files of expired snapshots, the leftovers of
a commit that failed, the files of a table that was dropped and made again in the same
place), deleted only once older than the safety age.

Only a table's own folders under the warehouse are ever looked at: a path below the landing
zone (which keeps every raw version) or below another table's folder is never a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakebox.lakehouse import LANDING_PREFIX, WAREHOUSE_PREFIX, Lakehouse
from lakebox.storage import Storage

TABLE_FOLDERS = ("data", "metadata")


@dataclass(frozen=True)
class Orphan:
    """A file no snapshot references: its path below the storage root, size and age."""

    path: str
    size: int
    age_seconds: float


def relative(storage: Storage, uri: str) -> str | None:
    """Return `uri` (a URI or a local path) relative to the storage root, or None when it is
    not below it."""
    root = storage.root_uri + "/"
    if storage.is_local:
        root = root.removeprefix("file://")
        uri = uri.removeprefix("file://")
    return uri.removeprefix(root) if uri.startswith(root) else None


def orphans(
    lh: Lakehouse, location: str, referenced: set[str], others: list[str], now: float
) -> list[Orphan]:
    """Return the files below the table at `location` that `referenced` (relative paths of
    every table's referenced files) lacks; `others` are the other tables' folders."""
    folder = relative(lh.storage, location.rstrip("/"))
    if folder is None or ".." in folder.split("/") or not _inside_warehouse(folder):
        return []
    found = []
    for sub in TABLE_FOLDERS:
        for path, size, modified in lh.storage.listing(f"{folder}/{sub}"):
            if path in referenced or _elsewhere(path, folder, others):
                continue
            found.append(Orphan(path, size, max(0.0, now - modified)))
    return sorted(found, key=lambda orphan: orphan.path)


def _inside_warehouse(folder: str) -> bool:
    """Whether a table folder is below the warehouse and not the landing zone."""
    return folder.startswith(WAREHOUSE_PREFIX + "/") and not (
        folder == LANDING_PREFIX or folder.startswith(LANDING_PREFIX + "/")
    )


def _elsewhere(path: str, folder: str, others: list[str]) -> bool:
    """Whether `path` belongs to another table whose folder lies inside this one's."""
    return any(
        other != folder and other.startswith(folder + "/") and path.startswith(other + "/")
        for other in others
    )
