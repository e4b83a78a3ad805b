"""S3-compatible object storage settings, shared by storage, the catalog's FileIO and DuckDB.

Credentials come only from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
optionally AWS_SESSION_TOKEN), never from the project file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pyarrow.fs as pafs

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class S3Settings:
    """Where an S3-compatible service is and how to sign requests to it."""

    endpoint: str | None = None  # e.g. http://127.0.0.1:8333; None means AWS itself
    region: str = DEFAULT_REGION

    @property
    def scheme(self) -> str:
        return (
            self.endpoint.split("://", 1)[0]
            if self.endpoint and "://" in self.endpoint
            else "https"
        )

    @property
    def host(self) -> str | None:
        return self.endpoint.split("://", 1)[-1].rstrip("/") if self.endpoint else None

    def filesystem(self) -> pafs.S3FileSystem:
        """Return pyarrow's S3 filesystem (it reads the credentials from the environment)."""
        options: dict[str, object] = {"region": self.region}
        if self.host:
            options.update(endpoint_override=self.host, scheme=self.scheme)
        return pafs.S3FileSystem(**options)

    def fileio_properties(self) -> dict[str, str]:
        """Return pyiceberg FileIO properties for this service."""
        properties = {
            "s3.region": self.region,
            "s3.path-style-access": "true",
            **_credentials("s3.access-key-id", "s3.secret-access-key", "s3.session-token"),
        }
        if self.endpoint:
            properties["s3.endpoint"] = self.endpoint
        return properties

    def duckdb_secret_sql(self) -> str:
        """Return the CREATE SECRET statement that lets DuckDB's httpfs read the bucket."""
        parts = [
            ("TYPE", "s3"),
            ("REGION", self.region),
            *[
                (key, value)
                for key, value in _credentials("KEY_ID", "SECRET", "SESSION_TOKEN").items()
            ],
        ]
        if self.host:
            parts += [("ENDPOINT", self.host), ("URL_STYLE", "path")]
        body = ", ".join(f"{key} '{value.replace(chr(39), chr(39) * 2)}'" for key, value in parts)
        use_ssl = "false" if self.scheme == "http" else "true"
        return f"CREATE OR REPLACE SECRET lakebox_s3 ({body}, USE_SSL {use_ssl})"


def _credentials(key_name: str, secret_name: str, token_name: str) -> dict[str, str]:
    found = {
        key_name: os.environ.get("AWS_ACCESS_KEY_ID"),
        secret_name: os.environ.get("AWS_SECRET_ACCESS_KEY"),
        token_name: os.environ.get("AWS_SESSION_TOKEN"),
    }
    return {name: value for name, value in found.items() if value}
