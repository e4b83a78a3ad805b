"""The project file `lakebox.yaml`: typed, validated, with errors that name the file and line.

`project` holds the whole file's model and reads it; each section has a module of its own
(`sources`, `columns`, `checks`, `entities`, `forecasts`, `anomalies`, `alerts`, `pipelines`,
…), and the words they share (`durations`, `sizes`, `units`, `column_types`, `names`) have
modules that import nothing from lakebox but its errors. Nothing here imports a package above
the ground floor, so every stage can read its section from here. The names below are the
package's public face: `from lakebox.config import SourceConfig`.
"""

from __future__ import annotations

from lakebox.config.alerts import AlertsConfig
from lakebox.config.anomalies import AnomalyRuleConfig
from lakebox.config.checks import (
    CHECK_KINDS,
    AcceptedValuesCheck,
    CheckConfig,
    DriftCheck,
    FreshnessCheck,
    RangeCheck,
    RegexCheck,
    RelationshipsCheck,
    RowCountCheck,
)
from lakebox.config.columns import ColumnConfig
from lakebox.config.durations import duration_seconds, lookback_seconds
from lakebox.config.engine import MAX_THREADS, MIN_MEMORY_BYTES, EngineConfig
from lakebox.config.entities import (
    ENTITY_COMPARISONS,
    SURVIVORSHIP_RULES,
    EntityConfig,
    EntitySourceConfig,
    Survivorship,
    SurvivorshipConfig,
)
from lakebox.config.forecasts import ForecastConfig, ForecastName
from lakebox.config.models import ModelsConfig
from lakebox.config.pipelines import (
    DEFAULT_PIPELINE,
    SOURCE_STEPS,
    STEP_KINDS,
    PipelineConfig,
    StepConfig,
    check_references,
)
from lakebox.config.project import PROJECT_FILE, ProjectConfig, load, parse, source_from_options
from lakebox.config.serve import ServeConfig
from lakebox.config.sizes import memory_bytes, size_bytes
from lakebox.config.sources import (
    DATABASE_KINDS,
    DEFAULT_NULL_TOKENS,
    FORMATS,
    PULLED_KINDS,
    SOURCE_KINDS,
    IncrementalConfig,
    PaginationConfig,
    SourceConfig,
    check_userinfo,
)
from lakebox.config.storage import CatalogConfig, StorageConfig

__all__ = [
    "CHECK_KINDS",
    "DATABASE_KINDS",
    "DEFAULT_NULL_TOKENS",
    "DEFAULT_PIPELINE",
    "ENTITY_COMPARISONS",
    "FORMATS",
    "MAX_THREADS",
    "MIN_MEMORY_BYTES",
    "PROJECT_FILE",
    "PULLED_KINDS",
    "SOURCE_KINDS",
    "SOURCE_STEPS",
    "STEP_KINDS",
    "SURVIVORSHIP_RULES",
    "AcceptedValuesCheck",
    "AlertsConfig",
    "AnomalyRuleConfig",
    "CatalogConfig",
    "CheckConfig",
    "ColumnConfig",
    "DriftCheck",
    "EngineConfig",
    "EntityConfig",
    "EntitySourceConfig",
    "ForecastConfig",
    "ForecastName",
    "FreshnessCheck",
    "IncrementalConfig",
    "ModelsConfig",
    "PaginationConfig",
    "PipelineConfig",
    "ProjectConfig",
    "RangeCheck",
    "RegexCheck",
    "RelationshipsCheck",
    "RowCountCheck",
    "ServeConfig",
    "SourceConfig",
    "StepConfig",
    "StorageConfig",
    "Survivorship",
    "SurvivorshipConfig",
    "check_references",
    "check_userinfo",
    "duration_seconds",
    "load",
    "lookback_seconds",
    "memory_bytes",
    "parse",
    "size_bytes",
    "source_from_options",
]
