"""The `engine:` section: the DuckDB engine's threads, memory and folders."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator

from lakebox.config.base import Strict
from lakebox.config.places import own_folder, project_folder
from lakebox.config.sizes import memory_bytes

MIN_MEMORY_BYTES = 64 * 1024**2  # below this DuckDB cannot even open the lakehouse
MAX_THREADS = 1024


class EngineConfig(Strict):
    """The DuckDB engine's resources."""

    threads: int | None = Field(default=None, ge=1, le=MAX_THREADS)
    memory_limit: str = "2GB"
    temp_directory: str = ".lakebox/tmp"
    extension_directory: str = ".lakebox/extensions"

    @field_validator("threads", mode="before")
    @classmethod
    def _a_count(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a number of threads; e.g. 4, or leave it out")
        return value

    @field_validator("memory_limit", mode="before")
    @classmethod
    def _a_size(cls, value: object) -> object:
        """Return the limit as DuckDB takes it: a size as written, a percentage in MiB."""
        if isinstance(value, bool) or not isinstance(value, str):
            raise ValueError(f"{value!r} is not a size; use e.g. 2GB, 512MiB or 75%")
        size = memory_bytes(value)
        if size < MIN_MEMORY_BYTES:
            raise ValueError(f"{value!r} is too little for DuckDB; give at least 64MiB")
        return f"{size // 1024**2}MiB" if value.strip().endswith("%") else value.strip()

    @field_validator("temp_directory", "extension_directory")
    @classmethod
    def _a_folder(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip() or "\0" in value:
            raise ValueError(f"{value!r} is not a folder; e.g. .lakebox/tmp")
        return own_folder(value, f"engine.{info.field_name}", project_folder(info))
