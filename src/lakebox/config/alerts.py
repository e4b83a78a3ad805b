"""The `alerts:` section of lakebox.yaml: where alerts go and which incidents raise them."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from lakebox.config.base import Strict
from lakebox.config.durations import duration_seconds, lookback_seconds
from lakebox.errors import ConfigError

AlertKind = Literal["anomalies", "checks", "stale", "runs", "streams"]
ALERT_KINDS: tuple[AlertKind, ...] = ("anomalies", "checks", "stale", "runs", "streams")
SEVERITIES = ("info", "warn", "critical")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S", re.IGNORECASE)


class AlertsConfig(Strict):
    """Channels (apprise URLs), the lowest anomaly severity alerted, freshness targets, kinds."""

    channels: list[str] = Field(default_factory=list)
    min_severity: Literal["info", "warn", "critical"] = "warn"
    max_age: dict[str, str] = Field(default_factory=dict)
    on: list[AlertKind] = Field(default_factory=lambda: list(ALERT_KINDS))
    every: float | str = "5m"

    @model_validator(mode="before")
    @classmethod
    def _on_is_a_key(cls, value: object) -> object:
        """YAML 1.1 reads a bare `on:` key as the boolean true; take it back as `on`."""
        if isinstance(value, dict) and True in value:
            value = {("on" if key is True else key): item for key, item in value.items()}
        return value

    @field_validator("channels")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not _URL.match(url):
                raise ValueError(
                    f"channel {url.split('@')[-1]!r} is not an apprise URL like "
                    "mailtos://user:${SMTP_PASSWORD}@smtp.example.com or json://host:8080/path"
                )
        return value

    @field_validator("every")
    @classmethod
    def _an_interval(cls, value: float | str) -> float | str:
        if duration_seconds(value) <= 0:
            raise ValueError(f"every {value!r} must be longer than zero")
        return value

    @field_validator("max_age")
    @classmethod
    def _durations_of_tables(cls, value: dict[str, str]) -> dict[str, str]:
        for table, age in value.items():
            if table.count(".") != 1:
                raise ValueError(f"max_age key {table!r} is not a zone.table name")
            try:
                lookback_seconds(str(age))
            except ConfigError:
                raise ValueError(
                    f"max_age of {table} {age!r} is not a duration like '2 h' or '1 day'"
                ) from None
        return {table: str(age) for table, age in value.items()}

    def max_age_seconds(self, table: str) -> int:
        """Return the freshness target of `table` in seconds."""
        return lookback_seconds(self.max_age[table])
