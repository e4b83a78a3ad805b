"""The project file `lakebox.yaml`: typed, validated, with errors that name the file and line."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from lakebox import redaction
from lakebox.analysis.anomalies.spec import AnomalyRuleConfig
from lakebox.analysis.forecast.spec import ForecastConfig, ForecastName
from lakebox.errors import ConfigError
from lakebox.monitoring.spec import AlertsConfig
from lakebox.orchestration.spec import PipelineConfig, check_references

PROJECT_FILE = "lakebox.yaml"
FORMATS = ("csv", "tsv", "json", "ndjson", "parquet", "excel")
DEFAULT_NULL_TOKENS = ("", "NULL", "null", "None", "NaN", "nan", "N/A", "n/a", "NA", "-", "#N/A")
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ColumnConfig(_Strict):
    """A declared column of a source's canonical schema."""

    class TaxPeriod(_Strict):
        """Dates (both inclusive, either open) in which the source's prices include tax."""

        model_config = ConfigDict(populate_by_name=True)

        start: str | None = Field(default=None, alias="from")
        until: str | None = None
        rate: float | None = Field(default=None, ge=0, lt=1)

        @field_validator("start", "until", mode="before")
        @classmethod
        def _a_date(cls, value: object) -> object:
            return None if value is None else ColumnConfig.TaxPeriod.iso_date(value)

        @model_validator(mode="after")
        def _in_order(self) -> ColumnConfig.TaxPeriod:
            if self.start and self.until and self.start > self.until:
                raise ValueError(f"tax period from {self.start} ends before it starts")
            return self

        @staticmethod
        def iso_date(value: object) -> str:
            """Return a YAML date (or ISO date text) as 'YYYY-MM-DD', or raise ValueError."""
            from datetime import date

            try:
                return (
                    value.isoformat()
                    if isinstance(value, date)
                    else str(date.fromisoformat(str(value)))
                )
            except ValueError:
                raise ValueError(f"{value!r} is not a date like 2025-03-01") from None

    class Tax(_Strict):
        """Whether a price includes tax, at what rate, and which of net or gross to store."""

        rate: float = Field(ge=0, lt=1)
        included: list[ColumnConfig.TaxPeriod]
        store: Literal["net", "gross"] = "net"

        @field_validator("included", mode="before")
        @classmethod
        def _always_or_never(cls, value: object) -> object:
            """`true` is one period without bounds; `false` is none."""
            return ([{}] if value else []) if isinstance(value, bool) else value

        @property
        def dated(self) -> bool:
            """Return whether a period has a bound, so each row's date decides."""
            return any(period.start or period.until for period in self.included)

        @model_validator(mode="after")
        def _apart(self) -> ColumnConfig.Tax:
            from itertools import pairwise

            periods = sorted(self.included, key=lambda period: period.start or "")
            for earlier, later in pairwise(periods):
                if earlier.until is None or earlier.until >= (later.start or ""):
                    raise ValueError(f"tax periods overlap: {earlier.start} and {later.start}")
            return self

        @field_validator("rate", mode="before")
        @classmethod
        def _a_fraction(cls, value: object) -> object:
            if isinstance(value, int | float) and value >= 1:
                raise ValueError(f"tax rate {value} is not a fraction; write 21% as 0.21")
            return value

    type: str = "VARCHAR"
    rename_from: list[str] = Field(default_factory=list)
    unit: str | None = None
    unit_from: str | None = None
    source_unit: str | None = None
    unit_since: dict[str, str] = Field(default_factory=dict)
    unit_above: dict[float, str] = Field(default_factory=dict)
    tax: Tax | None = None
    date_column: str | None = None
    name_format: Literal["first_last"] | None = None
    timezone: str | None = None
    formats: list[str] = Field(default_factory=list)
    decimal: Literal[".", ","] | None = None  # numbers: the decimal mark (else inferred)
    description: str | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        from lakebox.formatted.types import canonical  # late: types imports the engine

        try:
            return canonical(value)
        except ConfigError as error:
            raise ValueError(str(error)) from None

    @field_validator("unit", "source_unit")
    @classmethod
    def _known_unit(cls, value: str | None) -> str | None:
        from lakebox.formatted.units import UNITS

        if value is not None and value.lower() not in UNITS:
            raise ValueError(f"unknown unit {value!r}; known units: {', '.join(UNITS)}")
        return value

    @field_validator("unit_since", mode="before")
    @classmethod
    def _dated(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        return {ColumnConfig.TaxPeriod.iso_date(day): unit for day, unit in value.items()}

    @model_validator(mode="after")
    def _unit_needs_its_column(self) -> ColumnConfig:
        ways = [key for key in ("unit_from", "unit_since", "unit_above") if getattr(self, key)]
        if self.unit and not ways:
            raise ValueError(
                "'unit' needs 'unit_from' (the column that says each row's unit), 'unit_since' "
                "(the dates the source's unit changed) or 'unit_above' (units by magnitude)"
            )
        if ways and not self.unit:
            raise ValueError(f"{ways[0]!r} needs 'unit': the unit to store the values in")
        if len(ways) > 1:
            raise ValueError(f"use one of 'unit_from', 'unit_since' and 'unit_above', not {ways}")
        if self.source_unit and not (self.unit_since or self.unit_above):
            raise ValueError("'source_unit' is only used with 'unit_since' or 'unit_above'")
        return self

    @model_validator(mode="after")
    def _units_of_one_dimension(self) -> ColumnConfig:
        from lakebox.formatted.units import UNITS

        if not self.unit:
            return self
        wanted = UNITS[self.unit.lower()][0]
        if any(threshold <= 0 for threshold in self.unit_above):
            raise ValueError("'unit_above' thresholds must be positive, e.g. {100000: ms}")
        for unit in [
            self.source_unit or self.unit,
            *self.unit_since.values(),
            *self.unit_above.values(),
        ]:
            if unit.lower() not in UNITS:
                raise ValueError(f"unknown unit {unit!r}; known units: {', '.join(UNITS)}")
            if UNITS[unit.lower()][0] != wanted:
                raise ValueError(f"unit {unit!r} is not a {wanted} like {self.unit!r}")
        return self

    @model_validator(mode="after")
    def _rules_fit_the_type(self) -> ColumnConfig:
        numeric = self.type in ("BIGINT", "INTEGER", "SMALLINT", "DOUBLE", "FLOAT")
        numeric = numeric or self.type.startswith("DECIMAL")
        if (self.unit_since or self.unit_above or self.tax) and not numeric:
            raise ValueError(
                f"'unit_since', 'unit_above' and 'tax' need a number type (DOUBLE, "
                f"DECIMAL(p,s)), not {self.type}"
            )
        if self.name_format and self.type != "VARCHAR":
            raise ValueError(f"'name_format' needs a VARCHAR column, not {self.type}")
        return self

    @model_validator(mode="after")
    def _dates_from_a_column(self) -> ColumnConfig:
        dated = bool(self.unit_since) or (self.tax is not None and self.tax.dated)
        if dated and not self.date_column:
            raise ValueError(
                "'unit_since' and dated 'tax.included' need 'date_column': the column that "
                "gives each row's date"
            )
        if self.date_column and not dated:
            raise ValueError("'date_column' is only used with 'unit_since' or dated 'tax.included'")
        return self


SOURCE_KINDS = ("files", "postgres", "mysql", "sqlite", "sql", "http")
DATABASE_KINDS = ("postgres", "mysql", "sqlite", "sql")
PULLED_KINDS = (*DATABASE_KINDS, "http")
_LOOKBACK = re.compile(
    r"^\s*(\d+)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)\s*$", re.IGNORECASE
)


class IncrementalConfig(_Strict):
    """Pull only what is new: rows (or records) whose cursor is past the saved state."""

    cursor: str
    param: str | None = None
    end_param: str | None = None  # an API's end-of-window parameter, for `lakebox backfill`
    initial: str | None = None
    lookback: int | str | None = None

    @field_validator("lookback")
    @classmethod
    def _valid_lookback(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, str) and not _LOOKBACK.match(value):
            raise ValueError(f"lookback {value!r} is not a number or a duration like '2h'")
        return value


class PaginationConfig(_Strict):
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
    max_pages: int = Field(default=100_000, ge=1)


class SourceConfig(_Strict):
    """One source: where raw data comes from and how it becomes a formatted table."""

    kind: Literal["files", "postgres", "mysql", "sqlite", "sql", "http"] = "files"
    path: str | None = None
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
    description: str | None = None

    @field_validator("url")
    @classmethod
    def _encoded_userinfo(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("kind") in DATABASE_KINDS:
            check_userinfo(value)
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
        return self

    @property
    def pulled(self) -> bool:
        """Return whether lakebox pulls this source (a database or an API), not files."""
        return self.kind in PULLED_KINDS

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


def lookback_seconds(value: str) -> int:
    """Return a lookback duration like '2h' or '30 min' in seconds."""
    match = _LOOKBACK.match(value)
    if match is None:
        raise ConfigError(f"lookback {value!r} is not a duration like '2h' or '30 min'")
    unit = match.group(2).lower()[0]
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


class StorageConfig(_Strict):
    """Where bytes live: a local folder (relative to the project) or an s3:// URI."""

    root: str = "data"
    temporal: str = ".lakebox/temporal"
    s3_endpoint: str | None = None
    s3_region: str | None = None


class CatalogConfig(_Strict):
    """The Iceberg SQL catalog: a SQLite file by default, a PostgreSQL URL for teams."""

    name: str = "lakebox"
    uri: str = "sqlite:///.lakebox/catalog.db"

    @field_validator("uri")
    @classmethod
    def _encoded_userinfo(cls, value: str) -> str:
        check_userinfo(value)
        return value


# DuckDB's memory units (its parser, tried on 1.5.5): 1000^i and 1024^i bytes, any case.
_MEMORY_UNITS = {
    **dict.fromkeys(("k", "kb", "kilobyte", "kilobytes"), 1000),
    **dict.fromkeys(("m", "mb", "megabyte", "megabytes"), 1000**2),
    **dict.fromkeys(("g", "gb", "gigabyte", "gigabytes"), 1000**3),
    **dict.fromkeys(("t", "tb", "terabyte", "terabytes"), 1000**4),
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_MEMORY = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*|%)\s*")
MIN_MEMORY_BYTES = 64 * 1024**2  # below this DuckDB cannot even open the lakehouse
MAX_THREADS = 1024


def memory_bytes(value: str) -> int:
    """Return the bytes of a memory size as DuckDB reads it (`2GB`, `512 MiB`), or of a
    percentage of this machine's memory (`75%`); raise ValueError for anything else."""
    match = _MEMORY.fullmatch(value)
    unit = match.group(2).lower() if match else ""
    if match is None or (unit != "%" and unit not in _MEMORY_UNITS):
        raise ValueError(f"{value!r} is not a size; use e.g. 2GB, 512MiB or 75%")
    number = float(match.group(1))
    if unit == "%":
        if not 0 < number <= 100:
            raise ValueError(f"{value!r} is not a percentage of the memory between 1% and 100%")
        return int(_physical_memory() * number / 100)
    return int(number * _MEMORY_UNITS[unit])


def _physical_memory() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


class EngineConfig(_Strict):
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
    def _a_folder(cls, value: str) -> str:
        if not value.strip() or "\0" in value:
            raise ValueError(f"{value!r} is not a folder; e.g. .lakebox/tmp")
        return value


_BYTE_UNITS = {"": 1, "b": 1, **_MEMORY_UNITS}


def size_bytes(value: object) -> int:
    """Return a size like 64MB, 512KiB or 1000000 as a number of bytes (the units of
    `engine.memory_limit`, plus B and none for bytes)."""
    match = None if isinstance(value, bool) else _MEMORY.fullmatch(str(value))
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _BYTE_UNITS:
        raise ValueError(f"{value!r} is not a size like '64MB' or '512KiB'")
    return int(float(match.group(1)) * _BYTE_UNITS[unit])


class ServeConfig(_Strict):
    """Bounds on the users' queries that `lakebox serve` and `lakebox pg` run."""

    max_concurrent_queries: int = Field(default=4, ge=1, le=64)
    max_queued_queries: int = Field(default=16, ge=0, le=10_000)
    queue_timeout: float = Field(default=10.0, gt=0)
    max_result_bytes: int = Field(default=64 * 10**6, ge=1024)

    @field_validator("queue_timeout", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().replace(".", "", 1).isdigit():
            if not _LOOKBACK.match(value):
                raise ValueError(f"queue_timeout {value!r} is not a duration like '10s'")
            return lookback_seconds(value)
        return value

    @field_validator("max_result_bytes", mode="before")
    @classmethod
    def _bytes(cls, value: object) -> object:
        return size_bytes(value)


class ModelsConfig(_Strict):
    """Where the exploitation zone's SQL models live."""

    path: str = "models"


class AcceptedValuesCheck(_Strict):
    """Every non-NULL value of `column` is one of `values`."""

    column: str
    values: list[str | int | float | bool]


class RangeCheck(_Strict):
    """Every non-NULL value of `column` is within [min, max] (either bound may be left out)."""

    column: str
    min: float | str | None = None
    max: float | str | None = None


class RegexCheck(_Strict):
    """Every non-NULL value of `column` matches `pattern` (a full match)."""

    column: str
    pattern: str


class RelationshipsCheck(_Strict):
    """Every non-NULL value of `column` exists in `field` of table `to` (zone.table)."""

    column: str
    to: str
    field: str


class RowCountCheck(_Strict):
    """The table has between `min` and `max` rows."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class FreshnessCheck(_Strict):
    """The newest value of time column `column` is at most `max_age` old ('2h', '1 day')."""

    column: str
    max_age: str

    @field_validator("max_age")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not _LOOKBACK.match(value):
            raise ValueError(f"max_age {value!r} is not a duration like '2h' or '1 day'")
        return value


class DriftCheck(_Strict):
    """The row count (or the mean of `column`) is within `z` standard deviations of its values
    in the table's last `window` checked runs (needs `min_runs` of them first)."""

    metric: Literal["row_count", "mean"] = "row_count"
    column: str | None = None
    window: int = Field(default=10, ge=2)
    min_runs: int = Field(default=3, ge=2)
    z: float = Field(default=3.0, gt=0)

    @model_validator(mode="after")
    def _mean_needs_a_column(self) -> DriftCheck:
        if self.metric == "mean" and not self.column:
            raise ValueError("a 'mean' drift check needs 'column'")
        return self


CHECK_KINDS = (
    "not_null",
    "unique",
    "accepted_values",
    "range",
    "regex",
    "relationships",
    "row_count",
    "freshness",
    "drift",
    "sql",
)


class CheckConfig(_Strict):
    """One data-quality check of a table: exactly one kind, a severity and an optional name."""

    name: str | None = None
    severity: Literal["error", "warn"] = "error"
    not_null: list[str] | None = None
    unique: list[str] | None = None
    accepted_values: AcceptedValuesCheck | None = None
    range: RangeCheck | None = None
    regex: RegexCheck | None = None
    relationships: RelationshipsCheck | None = None
    row_count: RowCountCheck | None = None
    freshness: FreshnessCheck | None = None
    drift: DriftCheck | None = None
    sql: str | None = None

    @field_validator("not_null", "unique", mode="before")
    @classmethod
    def _columns(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_kind(self) -> CheckConfig:
        kinds = [kind for kind in CHECK_KINDS if getattr(self, kind) is not None]
        if len(kinds) != 1:
            raise ValueError(
                f"a check has exactly one of {', '.join(CHECK_KINDS)} (found "
                f"{', '.join(kinds) or 'none'})"
            )
        return self

    @property
    def kind(self) -> str:
        """Return the check's kind, e.g. `not_null`."""
        return next(kind for kind in CHECK_KINDS if getattr(self, kind) is not None)


ENTITY_COMPARISONS = ("name", "forename", "surname", "email", "date", "fuzzy", "exact")
SURVIVORSHIP_RULES = ("most_recent", "most_frequent", "source_priority")
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
_Named = TypeVar("_Named", bound=dict[str, Any])


def _identifiers(named: _Named, what: str) -> _Named:
    """Return `named` if every key is a lower-case identifier, else say which is not."""
    for name in named:
        if not _IDENTIFIER.fullmatch(name):
            raise ValueError(f"{what} {name!r} must be lower-case letters, digits and _")
    return named


Survivorship = Literal["most_recent", "most_frequent", "source_priority"]


class EntitySourceConfig(_Strict):
    """One table holding records of an entity, and how its columns map to the entity's."""

    table: str
    id: str
    priority: int | None = Field(default=None, ge=0)
    columns: dict[str, str] = Field(default_factory=dict)

    @field_validator("table")
    @classmethod
    def _zone_dot_table(cls, value: str) -> str:
        zone, _, name = value.partition(".")
        if zone not in ("formatted", "exploitation") or not _IDENTIFIER.fullmatch(name):
            raise ValueError(
                f"table {value!r} is not a formatted or exploitation table; write it as "
                "zone.table, e.g. formatted.crm_customers"
            )
        return value

    @field_validator("columns")
    @classmethod
    def _entity_column_names(cls, columns: dict[str, str]) -> dict[str, str]:
        return _identifiers(columns, "entity column")


class SurvivorshipConfig(_Strict):
    """Which record's value each column of the golden record takes."""

    default: Survivorship = "most_recent"
    columns: dict[str, Survivorship] = Field(default_factory=dict)

    @field_validator("default", mode="before")
    @classmethod
    def _known_default(cls, value: object) -> object:
        return SurvivorshipConfig.known_rule(value)

    @field_validator("columns", mode="before")
    @classmethod
    def _known_rules(cls, value: object) -> object:
        if isinstance(value, dict):
            return {column: SurvivorshipConfig.known_rule(rule) for column, rule in value.items()}
        return value

    @staticmethod
    def known_rule(value: object) -> object:
        """Return `value` when it names a survivorship rule, or raise ValueError."""
        if isinstance(value, str) and value not in SURVIVORSHIP_RULES:
            raise ValueError(
                f"unknown survivorship rule {value!r}; use {', '.join(SURVIVORSHIP_RULES)}"
            )
        return value

    def rule(self, column: str) -> str:
        """Return the rule that chooses `column`'s value."""
        return self.columns.get(column, self.default)


class EntityConfig(_Strict):
    """An entity (a customer, a supplier) whose records in several tables are linked,
    deduplicated and merged into one golden record per real-world thing."""

    sources: list[EntitySourceConfig] = Field(min_length=1)
    compare: dict[str, str]
    blocking: list[list[str]] = Field(min_length=1)
    threshold: float = Field(default=0.9, gt=0, lt=1)
    recency: str = "updated_at"
    seed: int = 42
    survivorship: SurvivorshipConfig = Field(default_factory=SurvivorshipConfig)

    @field_validator("compare")
    @classmethod
    def _known_comparisons(cls, compare: dict[str, str]) -> dict[str, str]:
        if not compare:
            raise ValueError("'compare' needs at least one column, e.g. {email: email}")
        for column, kind in compare.items():
            if kind not in ENTITY_COMPARISONS:
                raise ValueError(
                    f"compare.{column}: unknown comparison {kind!r}; use "
                    f"{', '.join(ENTITY_COMPARISONS)}"
                )
        kinds = list(compare.values())
        if any(kinds.count(kind) > 1 for kind in ("forename", "surname")) or (
            ("forename" in kinds) != ("surname" in kinds)
        ):
            raise ValueError("'forename' and 'surname' come as a pair: one column each")
        return compare

    @field_validator("blocking", mode="before")
    @classmethod
    def _one_column_is_a_list(cls, value: object) -> object:
        return (
            [[rule] if isinstance(rule, str) else rule for rule in value]
            if isinstance(value, list)
            else value
        )

    @model_validator(mode="after")
    def _columns_mapped_everywhere(self) -> EntityConfig:
        needed = {*self.compare, *(column for rule in self.blocking for column in rule)}
        if self._uses_recency():
            needed.add(self.recency)
        for position, source in enumerate(self.sources, start=1):
            missing = sorted(needed - set(source.columns))
            if missing:
                raise ValueError(
                    f"source {source.table} does not map {', '.join(missing)}; add "
                    f"{missing[0]}: <its column> to its 'columns'"
                )
            if source.priority is None:
                source.priority = position
        return self

    @model_validator(mode="after")
    def _sources_apart(self) -> EntityConfig:
        tables = [source.table for source in self.sources]
        repeated = sorted({table for table in tables if tables.count(table) > 1})
        if repeated:
            raise ValueError(f"source {repeated[0]} is listed twice; list each table once")
        if any(not rule for rule in self.blocking):
            raise ValueError("a blocking rule needs at least one column, e.g. [email]")
        mapped = {column for source in self.sources for column in source.columns}
        unknown = sorted(set(self.survivorship.columns) - mapped)
        if unknown:
            raise ValueError(f"survivorship names {unknown[0]!r}, which no source maps")
        return self

    def _uses_recency(self) -> bool:
        rules = {self.survivorship.default, *self.survivorship.columns.values()}
        return bool(rules & {"most_recent", "most_frequent"})

    @property
    def columns(self) -> list[str]:
        """Return the entity's columns: every column a source maps, in first-seen order."""
        return list(dict.fromkeys(c for source in self.sources for c in source.columns))


class ProjectConfig(_Strict):
    """The whole `lakebox.yaml`."""

    name: str = "lakebox"
    storage: StorageConfig = Field(default_factory=StorageConfig)
    catalog: CatalogConfig = Field(default_factory=CatalogConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    models: ModelsConfig = Field(default_factory=ModelsConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    checks: dict[str, list[CheckConfig]] = Field(default_factory=dict)
    entities: dict[str, EntityConfig] = Field(default_factory=dict)
    anomalies: dict[str, AnomalyRuleConfig] = Field(default_factory=dict)
    forecasts: dict[ForecastName, ForecastConfig] = Field(default_factory=dict)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    pipelines: dict[str, PipelineConfig] = Field(default_factory=dict)

    @field_validator("entities")
    @classmethod
    def _entity_names(cls, entities: dict[str, EntityConfig]) -> dict[str, EntityConfig]:
        return _identifiers(entities, "entity name")

    @field_validator("sources")
    @classmethod
    def _source_names(cls, sources: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        return _identifiers(sources, "source name")

    @model_validator(mode="after")
    def _pipeline_steps_exist(self) -> ProjectConfig:
        sources = set(self.sources)
        known = {"collect": sources, "format": sources, "forecasts": set(self.forecasts)}
        check_references(self.pipelines, {**known, "anomalies": set(self.anomalies)})
        return self


def load(project_dir: Path) -> ProjectConfig:
    """Return the validated config of the project in `project_dir`."""
    path = project_dir / PROJECT_FILE
    if not path.exists():
        raise ConfigError(
            f"{path}: no project file", hint="run 'lakebox init' to create one", file=str(path)
        )
    text = path.read_text(encoding="utf-8")
    return parse(text, str(path))


def parse(text: str, filename: str = PROJECT_FILE) -> ProjectConfig:
    """Return the config in YAML `text`; errors name `filename` and the line at fault."""
    try:
        node = yaml.compose(text)
        _refuse_repeated_keys(node, filename)
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ConfigError(
            f"{filename}:{line or '?'}: not valid YAML ({getattr(error, 'problem', error)})",
            file=filename,
            line=line,
        ) from error
    if not isinstance(data, dict):
        raise ConfigError(f"{filename}:1: the project file must be a mapping", file=filename)
    try:
        return ProjectConfig.model_validate(_expand_env(data))
    except ValidationError as error:
        raise _config_error(error, node, filename) from error


def source_from_options(values: dict[str, Any]) -> SourceConfig:
    """Return a source built from command-line options; errors name the option at fault."""
    try:
        return SourceConfig.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        option = "--" + str(first["loc"][0]).replace("_", "-") if first["loc"] else "options"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{option}: {message}", field=option) from error


def _expand_env(value: Any, done: dict[int, Any] | None = None) -> Any:
    """Return `value` with `${VAR}` references replaced; a mapping or list that YAML aliases
    share is expanded once and stays shared (so nested aliases cannot multiply the work)."""
    done = {} if done is None else done
    if isinstance(value, dict | list) and id(value) in done:
        return done[id(value)]
    if isinstance(value, dict):
        expanded: Any = done.setdefault(id(value), {})
        expanded.update((key, _expand_env(item, done)) for key, item in value.items())
        return expanded
    if isinstance(value, list):
        expanded = done.setdefault(id(value), [])
        expanded.extend(_expand_env(item, done) for item in value)
        return expanded
    if isinstance(value, str):
        return _ENV_REFERENCE.sub(_env_value, value)
    return value


def _env_value(match: re.Match[str]) -> str:
    name, default = match.group(1), match.group(2)
    if os.environ.get(name) or (name in os.environ and default is None):
        redaction.remember(os.environ[name])  # hidden from every message from now on
        return os.environ[name]
    if default is not None:
        return default
    raise ConfigError(
        f"environment variable {name} is not set", hint=f"export {name}=… before running lakebox"
    )


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _refuse_repeated_keys(root: yaml.Node | None, filename: str) -> None:
    """Raise ConfigError naming both lines if a mapping anywhere gives a key twice (YAML
    loaders keep the last silently, losing the first)."""
    seen: set[int] = set()  # an alias shares its node: walk each once
    pending: list[tuple[yaml.Node | None, str]] = [(root, "")]
    while pending:
        node, where = pending.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            pending += [(item, f"{where}[{index}]") for index, item in enumerate(node.value)]
        elif isinstance(node, yaml.MappingNode):
            _refuse_repeats_in(node, where, filename)
            pending += [(value, _path(where, key)) for key, value in node.value]


def _refuse_repeats_in(node: yaml.MappingNode, where: str, filename: str) -> None:
    first_lines: dict[tuple[str, str], int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE_TAG:
            continue
        line = key.start_mark.line + 1
        identity = (key.tag, key.value)
        if identity not in first_lines:
            first_lines[identity] = line
            continue
        at = f"{where}: " if where else ""
        first = first_lines[identity]
        raise ConfigError(
            f"{filename}:{line}: {at}{key.value!r} is given twice (first on line {first})",
            hint="merge them",
            file=filename,
            line=line,
            field=_path(where, key),
        )


def _path(where: str, key: yaml.Node) -> str:
    name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
    return f"{where}.{name}" if where else name


def _config_error(error: ValidationError, node: yaml.Node | None, filename: str) -> ConfigError:
    # a misspelt key also makes the right one "missing": name the misspelling first
    first = min(error.errors(), key=lambda item: item["type"] != "extra_forbidden")
    location = tuple(str(part) for part in first["loc"])
    line = _line_of(node, location)
    where = ".".join(location) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = f"unknown key {location[-1]!r}"
    elif first["type"] == "value_error":
        message = message.removeprefix("Value error, ")
    elif first["type"] == "missing":
        message = f"missing required key {location[-1]!r}"
        where = ".".join(location[:-1]) or "(top level)"
    return ConfigError(
        f"{filename}:{line or '?'}: {where}: {message}",
        hint="see docs/configuration.md for every key",
        file=filename,
        line=line,
        field=where,
    )


def _line_of(node: yaml.Node | None, location: tuple[str, ...]) -> int | None:
    """Return the 1-based line of the deepest node along `location` that exists."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in location:
        if not isinstance(node, yaml.MappingNode):
            break
        match = next((pair for pair in node.value if str(pair[0].value) == part), None)
        if match is None:
            break
        line = match[0].start_mark.line + 1
        node = match[1]
    return line
