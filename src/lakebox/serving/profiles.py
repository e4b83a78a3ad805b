"""Tables' profiles as the HTTP API and the catalog page show them: the stored one (from
`ops.profiles`) for a user who sees the table whole, and for a user who sees it in part
(column grants, masks, row filters) the profile of their view of it, computed over their
secured relation — its top values, minimum and maximum never a clear value of a masked
column, its counts only of the rows they may read — kept a while, never stored."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from lakebox.catalog import TableRef
from lakebox.engine.duckdb import snapshot_scan
from lakebox.lakehouse import Lakehouse
from lakebox.serving.grants import record, refuse_unreadable, secured_source, table_columns_of
from lakebox.serving.queries import QueryService

if TYPE_CHECKING:
    from lakebox.quality.profile import TableProfile

KEPT_PROFILES = 32  # profiles of users' views kept, by the SQL of the view
TOP_VALUES = 10
BINS = 20


class ProfiledColumn(BaseModel):
    """One column's profile; histogram bins are [lower, upper, count]."""

    name: str
    type: str
    null_share: float
    distinct_count: int
    min: str | None
    max: str | None
    top_values: list[tuple[str, int]]
    histogram: list[tuple[int | float | str, int | float | str, int]]


class Profile(BaseModel):
    """A table's profile at one snapshot."""

    table: str
    snapshot_id: int | None
    rows: int
    profiled_at: datetime
    columns: list[ProfiledColumn]

    @classmethod
    def of(cls, found: TableProfile) -> Profile:
        """Return the model of a `lakebox.quality.profile.TableProfile`."""
        return cls.model_validate(
            {**vars(found), "columns": [vars(column) for column in found.columns]}
        )


def stored_profile(lh: Lakehouse, queries: QueryService, ref: TableRef) -> Profile | None:
    """Return the newest profile of `ref` in ops.profiles, or None; a user who sees `ref` in
    part gets the profile of their view of it instead (`secured_profile`)."""
    from lakebox.quality.profile import latest_profile

    started = time.monotonic()
    found = secured_profile(lh, queries, ref)
    if found is None:
        with queries.lock:
            stored = latest_profile(lh, ref.identifier)
        found = Profile.of(stored) if stored is not None else None
    if found is not None:
        audit_profile(queries, ref, found, started)
    return found


def secured_profile(lh: Lakehouse, queries: QueryService, ref: TableRef) -> Profile | None:
    """Return the profile of the user's view of `ref` now (its granted columns, masked, its
    rows filtered; kept a while per view and snapshot, never stored), or None when they see
    `ref` whole. Refuse (403) a user who may not read it."""
    from lakebox.quality.profile import profile_source

    refuse_unreadable(queries, ref)
    if not queries.principal.restricted:
        return None
    iceberg = lh.catalog.load(ref)
    snapshot = iceberg.current_snapshot() if iceberg is not None else None
    snapshot_id = snapshot.snapshot_id if snapshot is not None else None
    location = lh.catalog.metadata_locations()[ref]
    source = secured_source(queries, ref, snapshot_scan(location, snapshot_id=snapshot_id))
    if source is None:
        return None
    found = _PROFILES.get(source)
    if found is None:
        with queries.lock:
            found = Profile.of(
                profile_source(lh, ref.identifier, source, snapshot_id, TOP_VALUES, BINS)
            )
        _PROFILES.put(source, found)
    return found


def audit_profile(queries: QueryService, ref: TableRef, found: Profile, started: float) -> None:
    """Write the user's reading of `ref`'s profile to the audit log ("read table")."""
    columns = table_columns_of(ref, [column.name for column in found.columns])
    record(queries, "read table", [ref.identifier], columns, found.rows, started, detail="profile")


class _Kept:
    """The latest profiles of users' views of tables, by the SQL of the view (which names
    the snapshot read, the columns, masks and row filters)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._found: OrderedDict[str, Profile] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Profile | None:
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
            return found

    def put(self, key: str, found: Profile) -> None:
        with self._lock:
            self._found[key] = found
            while len(self._found) > self.size:
                self._found.popitem(last=False)


_PROFILES = _Kept(KEPT_PROFILES)
