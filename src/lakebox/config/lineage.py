"""The `lineage:` section: where each run's OpenLineage events go (an NDJSON file, an HTTP
receiver such as Marquez, or both) and the namespace they are named in."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, field_validator, model_validator

from lakebox.config.base import Strict
from lakebox.config.durations import duration_seconds

MAX_TIMEOUT = 60.0  # seconds: a receiver slower than this is down, as far as a run cares
_HTTP = re.compile(r"^https?://[^\s/?#]+", re.IGNORECASE)


class LineageConfig(Strict):
    """OpenLineage emission: each step of a run sends START then COMPLETE or FAIL."""

    enabled: bool = True
    namespace: str | None = None  # default: lakebox://<project name>
    file: str | None = None  # NDJSON, one event a line; relative to the project folder
    url: str | None = None  # the receiver's base URL, e.g. http://localhost:5000
    endpoint: str = "api/v1/lineage"
    api_key: SecretStr | None = None
    timeout: float = Field(default=5.0, gt=0, le=MAX_TIMEOUT)

    @field_validator("timeout", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        if isinstance(value, str):
            return duration_seconds(value)
        return value

    @field_validator("url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not _HTTP.match(value.strip()):
            raise ValueError(
                "url must be an http:// or https:// address, e.g. http://localhost:5000"
            )
        return value.strip() if value else value

    @field_validator("namespace", "file", "endpoint")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _somewhere(self) -> LineageConfig:
        if self.enabled and not (self.file or self.url):
            raise ValueError("lineage needs 'file', 'url' or both (or 'enabled: false')")
        if self.api_key is not None and not self.url:
            raise ValueError("'api_key' is sent to 'url'; set 'url' too")
        return self

    def namespace_of(self, project: str) -> str:
        """Return the namespace of the project's jobs and datasets."""
        return self.namespace or f"lakebox://{project}"

    @property
    def endpoint_url(self) -> str | None:
        """Return the address events are POSTed to (`url` joined with `endpoint`)."""
        if not self.url:
            return None
        return f"{self.url.rstrip('/')}/{self.endpoint.lstrip('/')}"
