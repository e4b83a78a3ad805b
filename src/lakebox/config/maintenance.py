"""The `maintenance:` section of lakebox.yaml: how `lakebox maintain` (and the `maintain`
pipeline step) compacts, expires and cleans the Iceberg tables."""

from __future__ import annotations

from fnmatch import fnmatchcase

from pydantic import Field, field_validator

from lakebox.config.base import Strict
from lakebox.config.durations import duration_seconds
from lakebox.config.sizes import size_bytes

MIN_ORPHAN_AGE = 3600.0  # seconds: no commit in flight takes this long


class MaintenanceConfig(Strict):
    """Table maintenance: data files smaller than `small_file_ratio` of `target_file_size`
    are compacted when a table has at least `min_input_files` of them; a table with more than
    `max_manifests` manifests has them rewritten; snapshots older than `retention` are
    expired (the current one and the `min_snapshots` newest are kept); files no snapshot
    references are deleted once older than `orphan_age`. `tables` and `exclude` are
    `zone.name` patterns (`ops.*`); `lock_wait` is how long maintenance waits for running
    pipelines to finish."""

    target_file_size: str | int = "128MB"
    small_file_ratio: float = Field(default=0.75, gt=0, le=1)
    min_input_files: int = Field(default=5, ge=2)
    max_manifests: int = Field(default=16, ge=1)
    retention: float | str = "7 days"
    min_snapshots: int = Field(default=5, ge=1)
    orphan_age: float | str = "3 days"
    tables: list[str] = Field(default_factory=lambda: ["*"])
    exclude: list[str] = Field(default_factory=list)
    lock_wait: float | str = "10 min"

    @field_validator("target_file_size")
    @classmethod
    def _size(cls, value: str | int) -> str | int:
        if size_bytes(value) < 1024:
            raise ValueError(f"target_file_size {value!r} must be at least 1KiB")
        return value

    @field_validator("retention", "lock_wait")
    @classmethod
    def _duration(cls, value: float | str) -> float | str:
        if duration_seconds(value) < 0:
            raise ValueError(f"{value!r} must not be negative")
        return value

    @field_validator("orphan_age")
    @classmethod
    def _floor(cls, value: float | str) -> float | str:
        # negative ages fail here too; writers outside a pipeline's lock (a stream's flush, a
        # sandbox) put their files in place before the commit that references them, so a
        # younger "orphan" may be one of those
        if duration_seconds(value) < MIN_ORPHAN_AGE:
            raise ValueError(f"orphan_age {value!r} must be at least 1 hour")
        return value

    @property
    def target_bytes(self) -> int:
        """Return the target size of a compacted data file in bytes."""
        return size_bytes(self.target_file_size)

    @property
    def retention_seconds(self) -> float:
        return duration_seconds(self.retention)

    @property
    def orphan_age_seconds(self) -> float:
        return duration_seconds(self.orphan_age)

    @property
    def lock_wait_seconds(self) -> float:
        return duration_seconds(self.lock_wait)

    def selects(self, identifier: str) -> bool:
        """Return whether table `zone.name` is maintained."""
        chosen = any(fnmatchcase(identifier, pattern) for pattern in self.tables)
        return chosen and not any(fnmatchcase(identifier, pattern) for pattern in self.exclude)
