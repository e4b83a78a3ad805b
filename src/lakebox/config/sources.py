"""The `sources:` section: where raw data comes from (files, a database, an HTTP API), how it
is pulled (incrementally, page by page) and how it is read."""

from __future__ import annotations

import os.path
from pathlib import PurePosixPath
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from lakebox.config.base import Strict
from lakebox.config.columns import ColumnConfig
from lakebox.config.docs import SourceDocs
from lakebox.config.durations import LOOKBACK, duration_seconds
from lakebox.config.sizes import size_bytes

FORMATS = ("csv", "tsv", "json", "ndjson", "parquet", "excel")
DEFAULT_NULL_TOKENS = ("", "NULL", "null", "None", "NaN", "nan", "N/A", "n/a", "NA", "-", "#N/A")
SOURCE_KINDS = ("files", "postgres", "mysql", "sqlite", "sql", "http")
DATABASE_KINDS = ("postgres", "mysql", "sqlite", "sql")
PULLED_KINDS = (*DATABASE_KINDS, "http")


class IncrementalConfig(Strict):
    """Pull only what is new: rows (or records) whose cursor is past the saved state."""

    cursor: str
    param: str | None = None
    end_param: str | None = None  # an API's end-of-window parameter, for `lakebox backfill`
    initial: str | None = None
    lookback: int | str | None = None

    @field_validator("lookback")
    @classmethod
    def _valid_lookback(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, str) and not LOOKBACK.match(value):
            raise ValueError(f"lookback {value!r} is not a number or a duration like '2h'")
        return value


class PaginationConfig(Strict):
    """How an HTTP source walks through the pages of a response."""

    type: Literal["none", "page", "offset", "cursor", "link"] = "none"
    page_param: str = "page"
    start_page: int = 1
    size_param: str | None = None
    size: int | None = Field(default=None, ge=1)
    offset_param: str = "offset"
    limit_param: str = "limit"
    cursor_param: str = "cursor"
    cursor_path: str = "next"
    total_pages_path: str | None = None
    max_pages: int = Field(default=1000, ge=1)


class LimitsConfig(Strict):
    """What reading one landed file may take: the reader of a workbook runs in a child process
    held to `memory` and `time`; the sizes a file declares are checked before reading."""

    memory: int | str = "2GiB"
    time: float | str = "10m"
    sheet_cells: int = Field(default=20_000_000, ge=1)
    unzipped: int | str = "1GiB"
    json_depth: int = Field(default=128, ge=1, le=10_000)
    columns: int = Field(default=10_000, ge=1)

    @field_validator("memory", "unzipped")
    @classmethod
    def _valid_size(cls, value: int | str) -> int | str:
        if size_bytes(value) < 1024**2:
            raise ValueError(f"{value!r} is below 1 MiB")
        return value

    @field_validator("time")
    @classmethod
    def _valid_time(cls, value: float | str) -> float | str:
        if duration_seconds(value) <= 0:
            raise ValueError(f"{value!r} is not a positive duration")
        return value

    @property
    def memory_bytes(self) -> int:
        return size_bytes(self.memory)

    @property
    def seconds(self) -> float:
        return duration_seconds(self.time)

    @property
    def unzipped_bytes(self) -> int:
        return size_bytes(self.unzipped)


class SourceConfig(Strict):
    """One source: where raw data comes from and how it becomes a formatted table."""

    kind: Literal["files", "postgres", "mysql", "sqlite", "sql", "http"] = "files"
    path: str | None = None
    follow_outside_links: bool = False  # files: read links that leave the source's folder
    max_files: int = Field(default=100_000, ge=1)  # files: entries one listing looks at
    max_depth: int = Field(default=20, ge=0)  # files: folders crawled below the source's one
    settle: float | str | None = None  # files: unchanged this long before landing (None: 2 s)
    url: str | None = None
    table: str | None = None
    query: str | None = None
    incremental: IncrementalConfig | None = None
    params: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    records: str | None = None
    pagination: PaginationConfig = Field(default_factory=PaginationConfig)
    timeout: float = Field(default=30.0, gt=0)
    retries: int = Field(default=4, ge=0)
    backoff: float = Field(default=1.0, ge=0)
    max_backoff: float = Field(default=60.0, ge=0)
    rate_limit: float | None = Field(default=None, gt=0)
    # http: the caps on one response body, as received and once decompressed (bytes or a
    # size like '64MiB'), the deadline of a whole pull (None: no limit) and the other
    # origins a redirect may lead to (never sent the source's credentials)
    max_raw_body_bytes: int = Field(default=64 * 1024**2, ge=1)
    max_body_bytes: int = Field(default=64 * 1024**2, ge=1)
    pull_timeout: float | str | None = "30m"
    redirect_origins: list[str] = Field(default_factory=list)
    batch_rows: int = Field(default=50_000, ge=1)
    format: Literal["csv", "tsv", "json", "ndjson", "parquet", "excel"] | None = None
    key: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    header: bool | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheets: list[str] = Field(default_factory=list)
    nested: Literal["flatten", "struct"] = "flatten"
    null_tokens: list[str] = Field(default_factory=lambda: list(DEFAULT_NULL_TOKENS))
    date_formats: list[str] = Field(
        default_factory=lambda: ["%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%d %b %Y"]
    )
    columns: dict[str, ColumnConfig] = Field(default_factory=dict)
    on_incompatible: Literal["quarantine", "fail"] = "quarantine"
    keep_duplicates: bool = False  # keep exact copies of a row (each a separate event)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)  # what reading one file may take
    description: str | None = None
    docs: SourceDocs = Field(default_factory=SourceDocs)  # owner, tags, terms; columns' too

    @field_validator("url")
    @classmethod
    def _encoded_userinfo(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("kind") in DATABASE_KINDS:
            check_userinfo(value)
        return value

    @field_validator("max_raw_body_bytes", "max_body_bytes", mode="before")
    @classmethod
    def _sizes(cls, value: object) -> object:
        return size_bytes(value)

    @field_validator("pull_timeout")
    @classmethod
    def _pull_timeout(cls, value: float | str | None) -> float | str | None:
        if value is not None and duration_seconds(value) <= 0:
            raise ValueError(f"pull_timeout {value!r} must be longer than zero")
        return value

    @field_validator("redirect_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            check_origin(origin)
        return value

    @field_validator("path")
    @classmethod
    def _bounded_path(cls, value: str | None) -> str | None:
        if value is not None:
            check_path(value)
        return value

    @field_validator("settle")
    @classmethod
    def _valid_settle(cls, value: float | str | None) -> float | str | None:
        if value is not None and duration_seconds(value) < 0:
            raise ValueError("settle must not be negative")
        return value

    @field_validator("key", mode="before")
    @classmethod
    def _split_key(cls, value: object) -> object:
        return (
            [part.strip() for part in value.split(",") if part.strip()]
            if isinstance(value, str)
            else value
        )

    @model_validator(mode="after")
    def _kind_needs(self) -> SourceConfig:
        if self.kind == "files" and not self.path:
            raise ValueError("a 'files' source needs 'path': a folder or a glob")
        if self.kind != "files" and not self.url:
            raise ValueError(f"a {self.kind!r} source needs 'url'")
        if self.kind in DATABASE_KINDS and bool(self.table) == bool(self.query):
            raise ValueError(f"a {self.kind!r} source needs exactly one of 'table' and 'query'")
        if self.kind == "http" and self.incremental and not self.incremental.param:
            raise ValueError("an incremental 'http' source needs 'incremental.param'")
        if self.incremental and self.incremental.lookback is not None and not self.key:
            raise ValueError("'incremental.lookback' needs 'key': re-read rows replace themselves")
        for name, column in self.docs.columns.items():
            declared = self.columns.get(name)
            if column.description and declared is not None and declared.description:
                raise ValueError(
                    f"column {name} is described twice, under columns and under docs.columns; "
                    "keep one"
                )
        return self

    @property
    def pulled(self) -> bool:
        """Return whether lakebox pulls this source (a database or an API), not files."""
        return self.kind in PULLED_KINDS

    @property
    def pull_timeout_seconds(self) -> float | None:
        """Return how long one pull of an HTTP source may take in all (None: no limit)."""
        return None if self.pull_timeout is None else duration_seconds(self.pull_timeout)

    @property
    def typed(self) -> bool:
        """Return whether the source's values come typed from a database: its text is kept
        as it is (no trimming, no null tokens)."""
        return self.kind in DATABASE_KINDS

    @property
    def replaces(self) -> bool:
        """Return whether each batch replaces the whole table (a full pull of a database or
        an API); otherwise batches append, or merge by key."""
        return self.pulled and self.incremental is None


def check_path(path: str) -> None:
    """Raise ValueError if a files source's `path` starts at the file system root (`/**`,
    `/*.csv`, `/`) or in /proc, /sys or /dev: lakebox would crawl the whole disk or read
    the system's own files. (A relative path reaching the root is refused when landing.)"""
    normal = os.path.normpath(os.path.expanduser(path))  # `/tmp/../**` is `/**`
    parts = PurePosixPath("/" + normal.lstrip("/") if normal.startswith("/") else normal).parts
    if not parts or parts[0] != "/":
        return
    magic = next((i for i, part in enumerate(parts) if set("*?[") & set(part)), len(parts))
    fixed = parts[1:magic]
    if not fixed:
        raise ValueError(
            f"path {path!r} starts at the file system root; point it at the folder holding "
            "the exports, e.g. path: exports/*.csv"
        )
    if fixed[0] in ("proc", "sys", "dev"):
        raise ValueError(f"path {path!r} lies in /{fixed[0]}, which lakebox never reads")


def check_userinfo(url: str) -> None:
    """Raise ValueError (naming no part of `url`) if its user or password holds a bare `@`:
    the database's client would take what follows it for the host, and show it in errors."""
    from urllib.parse import urlsplit

    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return
    if netloc.count("@") > 1:
        raise ValueError(
            "the user or password of the URL holds an '@'; percent-encode @ in passwords as "
            "%40 (in the environment variable too), e.g. postgresql://app:pa%40ss@host/db"
        )


def check_origin(origin: str) -> None:
    """Raise ValueError unless `origin` is an origin: `https://host` or `http://host:port`,
    without a path, query or credentials."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(origin)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError as error:
        raise ValueError(f"redirect origin {origin!r}: {error}") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.username
    ):
        raise ValueError(
            f"redirect origin {origin!r} is not an origin; write scheme, host and port only, "
            "e.g. https://files.example.com"
        )
