"""How a source's landed objects are read: each reader setting (format, encoding, delimiter,
sheets, header row …) with its value and origin — detected in the files, configured on the
source, or the reader's default — from what formatting recorded per object in the manifest
(`read_with`), completed by the source's config for the settings no object records."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from lakebox.catalog.manifest import Entry
from lakebox.config import SourceConfig

# The source's settings shown as reader settings (never its URL, headers or parameters: they
# may hold credentials).
CONFIG_SETTINGS = (
    "kind",
    "path",
    "table",
    "format",
    "encoding",
    "delimiter",
    "header",
    "sheets",
    "nested",
    "records",
    "null_tokens",
    "date_formats",
    "timezone",
    "key",
    "on_incompatible",
    "keep_duplicates",
)
RECENT_OBJECTS = 200  # the latest objects whose settings are summed up
# The order of the settings readers record (others follow by name).
ORDER = (
    "format",
    "encoding",
    "delimiter",
    "quote",
    "header",
    "header_row",
    "sheets",
    "header_rows",
    "nested",
    "records",
    "decimal_marks",
    "file_types",
)
# The formats a setting applies to (the others apply to every format).
FORMATS = {
    "encoding": ("csv", "tsv"),
    "delimiter": ("csv", "tsv"),
    "header": ("csv", "tsv", "excel"),
    "sheets": ("excel",),
    "nested": ("json", "ndjson", "http"),
    "records": ("http",),
}


@dataclass
class Setting:
    """One reader setting: its value (the latest object's, or the config's), its origin
    (`detected`, `configured` or `default`), and when the objects were read with several
    values, each value with how many of the objects it was."""

    name: str
    value: object
    origin: str
    seen: list[tuple[object, int]] = field(default_factory=list)


def recorded(entry: Entry) -> dict[str, dict[str, object]] | None:
    """Return how formatting read `entry` (setting → value and origin), None when it did not
    record it (formatted by an older lakebox, or never read)."""
    if not entry.read_with:
        return None
    try:
        found = json.loads(entry.read_with)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def source_settings(source: SourceConfig, entries: list[Entry]) -> list[Setting]:
    """Return the reader settings of `source`: those its latest read objects (`entries`,
    oldest first) recorded, then the rest of its config."""
    reads = [found for entry in entries[-RECENT_OBJECTS:] if (found := recorded(entry))]
    settings = _from_reads(reads)
    named = {setting.name for setting in settings}
    kind = _format(source, settings)
    return settings + [
        _configured(source, name)
        for name in CONFIG_SETTINGS
        if name not in named and getattr(source, name) is not None and _applies(name, kind)
    ]


def _format(source: SourceConfig, settings: list[Setting]) -> str | None:
    """Return the format of the source's files: the latest read's, else the configured one
    (None: not known yet)."""
    if source.kind == "http":
        return "http"
    recorded_format = next((s.value for s in settings if s.name == "format"), None)
    return str(recorded_format) if recorded_format else source.format


def _applies(name: str, kind: str | None) -> bool:
    return kind is None or kind in FORMATS.get(name, (kind,))


def _from_reads(reads: list[dict[str, dict[str, object]]]) -> list[Setting]:
    """Return one setting per name the reads hold: the latest read's value and origin, and
    the values seen when they differ."""
    names = list(dict.fromkeys(name for read in reversed(reads) for name in read))
    settings = []
    for name in names:
        values = [read[name] for read in reads if name in read]
        latest = values[-1]
        counts = Counter(json.dumps(value.get("value"), sort_keys=True) for value in values)
        seen = [(json.loads(text), count) for text, count in counts.most_common()]
        seen = seen if len(seen) > 1 else []
        settings.append(Setting(name, latest.get("value"), str(latest.get("origin")), seen))
    return sorted(settings, key=lambda setting: setting_order(setting.name))


def setting_order(name: str) -> tuple[int, str]:
    """Return where setting `name` comes in a listing (format first)."""
    return (ORDER.index(name), "") if name in ORDER else (len(ORDER), name)


def _configured(source: SourceConfig, name: str) -> Setting:
    origin = "configured" if name in source.model_fields_set else "default"
    return Setting(name, getattr(source, name), origin)
