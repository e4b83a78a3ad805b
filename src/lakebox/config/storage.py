"""The `storage:` and `catalog:` sections: where bytes live and where the Iceberg catalog
keeps what tables exist."""

from __future__ import annotations

from pydantic import ValidationInfo, field_validator

from lakebox.config.base import Strict
from lakebox.config.places import own_folder, project_folder
from lakebox.config.sources import check_userinfo


class StorageConfig(Strict):
    """Where bytes live: a local folder (relative to the project) or an s3:// URI."""

    root: str = "data"
    temporal: str = ".lakebox/temporal"
    s3_endpoint: str | None = None
    s3_region: str | None = None

    @field_validator("root", "temporal")
    @classmethod
    def _own_folder(cls, value: str, info: ValidationInfo) -> str:
        return own_folder(value, f"storage.{info.field_name}", project_folder(info))


class CatalogConfig(Strict):
    """The Iceberg SQL catalog: a SQLite file by default, a PostgreSQL URL for teams."""

    name: str = "lakebox"
    uri: str = "sqlite:///.lakebox/catalog.db"

    @field_validator("uri")
    @classmethod
    def _encoded_userinfo(cls, value: str) -> str:
        check_userinfo(value)
        return value
