"""`maintain`: every chosen Iceberg table compacted, its manifests rewritten, its old
snapshots expired, and then the orphaned files of its folders deleted.

The caller holds the locks that keep runs from committing meanwhile (the orchestration's
`maintain`). Orphans are looked for after every table's expiry, against the files every
table still references, so a file two tables share is never an orphan of one of them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyiceberg.exceptions import CommitFailedException
from pyiceberg.table import Table

from lakebox.catalog import TableRef
from lakebox.catalog import maintenance as catalog_maintenance
from lakebox.catalog.maintenance import Retention
from lakebox.config.maintenance import MaintenanceConfig
from lakebox.errors import LakeboxError
from lakebox.ground.reporter import NULL_REPORTER, Reporter
from lakebox.lakehouse import Lakehouse
from lakebox.maintenance import compact as compaction
from lakebox.maintenance.orphans import Orphan, orphans, relative

logger = logging.getLogger(__name__)
_FAILURES = (LakeboxError, CommitFailedException, OSError, ValueError)


@dataclass
class TableMaintenance:
    """What maintenance did to one table (or, in a dry run, would do)."""

    table: str
    dry_run: bool = False
    files_before: int = 0
    files_after: int = 0
    compacted: int = 0  # small files rewritten
    written: int = 0  # the files they became
    manifests_before: int = 0
    manifests_after: int = 0
    expired: int = 0
    orphans: list[Orphan] = field(default_factory=list)
    kept_orphans: int = 0  # younger than the safety age
    skipped: str | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def status(self) -> str:
        return "failed" if self.error else "ok"

    @property
    def orphan_bytes(self) -> int:
        return sum(orphan.size for orphan in self.orphans)

    def describe(self) -> str:
        """Return one line saying what happened (or would)."""
        if self.error:
            return f"{self.table}: failed: {self.error}"
        verb = "would " if self.dry_run else ""
        parts = [f"{self.files_before} → {self.files_after} data files"]
        if self.compacted:
            parts.append(f"{verb}compact {self.compacted} into {self.written or '~'}")
        if self.manifests_after != self.manifests_before:
            parts.append(f"manifests {self.manifests_before} → {self.manifests_after}")
        parts.append(f"{verb}expire {self.expired} snapshots")
        parts.append(f"{verb}delete {len(self.orphans)} orphans ({self.orphan_bytes} bytes)")
        if self.kept_orphans:
            parts.append(f"{self.kept_orphans} younger orphans kept")
        if self.skipped:
            parts.append(f"compaction skipped: {self.skipped}")
        return f"{self.table}: " + ", ".join(parts)


def selected(
    lh: Lakehouse, config: MaintenanceConfig, patterns: list[str] | None
) -> list[TableRef]:
    """Return the tables to maintain, sorted: those `config` selects, narrowed to
    `patterns` when given."""
    chosen = narrowed(config, patterns)
    return sorted(
        (ref for ref in lh.catalog.metadata_locations() if chosen.selects(ref.identifier)),
        key=lambda ref: ref.identifier,
    )


def narrowed(config: MaintenanceConfig, patterns: list[str] | None) -> MaintenanceConfig:
    """Return `config` choosing only `patterns` (and still not its exclusions)."""
    return config if not patterns else config.model_copy(update={"tables": patterns})


def maintain(
    lh: Lakehouse,
    config: MaintenanceConfig,
    tables: list[str] | None = None,
    dry_run: bool = False,
    reporter: Reporter = NULL_REPORTER,
    now: float | None = None,
) -> list[TableMaintenance]:
    """Maintain the chosen tables (`tables`: `zone.name` patterns, default as `config`
    says); in a `dry_run`, change nothing and say what would change."""
    now = time.time() if now is None else now
    refs = selected(lh, config, tables)
    pinned = catalog_maintenance.pinned_inputs(_all_tables(lh).values())
    results = []
    for done, ref in enumerate(refs, start=1):
        retention = Retention(
            since_ms=int((now - config.retention_seconds) * 1000),
            newest=config.min_snapshots,
            pinned=frozenset(pinned.get(ref, set())),
        )
        results.append(_table(lh, ref, config, retention, dry_run))
        reporter.progress("maintain", ref.identifier, done, len(refs))
    _clean(lh, results, config, dry_run, now)
    for result in results:
        reporter.message(result.describe())
    lh.refresh()
    return results


def _all_tables(lh: Lakehouse) -> dict[TableRef, Table]:
    loaded = {ref: lh.catalog.load(ref) for ref in lh.catalog.metadata_locations()}
    return {ref: table for ref, table in loaded.items() if table is not None}


def _table(
    lh: Lakehouse, ref: TableRef, config: MaintenanceConfig, retention: Retention, dry_run: bool
) -> TableMaintenance:
    """Compact, rewrite the manifests of and expire one table; a failure is its result."""
    started = time.monotonic()
    result = TableMaintenance(ref.identifier, dry_run=dry_run)
    try:
        table = lh.catalog.load(ref)
        if table is not None:
            table = _compact(lh, table, config, result)
            table = _manifests(table, config, result)
            _expire(table, retention, result)
    except _FAILURES as error:
        logger.warning("maintenance of %s failed: %s", ref.identifier, error)
        result.error = str(error) or error.__class__.__name__
    result.seconds = time.monotonic() - started
    return result


def _compact(
    lh: Lakehouse, table: Table, config: MaintenanceConfig, result: TableMaintenance
) -> Table:
    chosen = compaction.plan(table, config)
    result.files_before = result.files_after = chosen.files
    result.compacted, result.skipped = chosen.inputs, chosen.skipped
    if chosen.bins and not result.dry_run:
        table, result.written = compaction.compact(lh, table, chosen, config.target_bytes)
        result.files_after = chosen.files - chosen.inputs + result.written
    return table


def _manifests(table: Table, config: MaintenanceConfig, result: TableMaintenance) -> Table:
    found = catalog_maintenance.manifests(table)
    result.manifests_before = result.manifests_after = len(found)
    if catalog_maintenance.needs_rewrite(found, config.max_manifests) and not result.dry_run:
        table = catalog_maintenance.rewrite_manifests(table)
        result.manifests_after = len(catalog_maintenance.manifests(table))
    return table


def _expire(table: Table, retention: Retention, result: TableMaintenance) -> None:
    expirable = catalog_maintenance.expirable(table, retention)
    result.expired = len(expirable)
    if expirable and not result.dry_run:
        catalog_maintenance.expire(table, expirable)


def _clean(
    lh: Lakehouse, results: list[TableMaintenance], config: MaintenanceConfig, dry: bool, now: float
) -> None:
    """Find (and unless `dry`, delete) the orphans of the maintained tables older than the
    safety age, against the files every table references now."""
    tables = _all_tables(lh)
    try:
        referenced = _referenced(lh, tables.values())
    except _FAILURES as error:  # what is referenced is unknown: nothing is an orphan
        logger.warning("orphaned files not looked for: %s", error)
        return
    folders = [found for t in tables.values() if (found := relative(lh.storage, t.location()))]
    for result in results:
        table = tables.get(TableRef.of(result.table))
        if table is None or result.error:
            continue
        found = orphans(lh, table.location(), referenced, folders, now)
        result.orphans = [o for o in found if o.age_seconds >= config.orphan_age_seconds]
        result.kept_orphans = len(found) - len(result.orphans)
        for orphan in result.orphans if not dry else ():
            lh.storage.delete(orphan.path)


def _referenced(lh: Lakehouse, tables: Iterable[Table]) -> set[str]:
    """Return every file the tables reference, relative to the storage root."""
    found: set[str] = set()
    for table in tables:
        uris = catalog_maintenance.referenced_files(table)
        found |= {path for path in (relative(lh.storage, uri) for uri in uris) if path}
    return found
