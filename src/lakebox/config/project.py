"""The whole project file `lakebox.yaml`: one model of every section, read from a file or a
text with errors that name the file and line, or from a command's options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from lakebox.config.access import AccessConfig
from lakebox.config.alerts import AlertsConfig
from lakebox.config.anomalies import AnomalyRuleConfig
from lakebox.config.base import Strict, identifiers, refuse
from lakebox.config.checks import CheckConfig
from lakebox.config.engine import EngineConfig
from lakebox.config.entities import EntityConfig
from lakebox.config.environment import expand_env
from lakebox.config.forecasts import ForecastConfig, ForecastName
from lakebox.config.glossary import GlossaryConfig
from lakebox.config.lineage import LineageConfig
from lakebox.config.maintenance import MaintenanceConfig
from lakebox.config.models import ModelsConfig
from lakebox.config.pipelines import PipelineConfig, check_references
from lakebox.config.serve import ServeConfig
from lakebox.config.sources import SourceConfig
from lakebox.config.storage import CatalogConfig, StorageConfig
from lakebox.config.streams import StreamConfig, stream_source
from lakebox.config.yaml_lines import config_error
from lakebox.config.yaml_loader import YamlDocument, read_yaml, read_yaml_file
from lakebox.errors import ConfigError

PROJECT_FILE = "lakebox.yaml"


class ProjectConfig(Strict):
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
    streams: dict[str, StreamConfig] = Field(default_factory=dict)
    access: AccessConfig | None = None  # present: every served request needs a user
    lineage: LineageConfig | None = None  # present: runs emit OpenLineage events
    glossary: GlossaryConfig = Field(default_factory=GlossaryConfig)
    maintenance: MaintenanceConfig = Field(default_factory=MaintenanceConfig)

    @field_validator("entities")
    @classmethod
    def _entity_names(cls, entities: dict[str, EntityConfig]) -> dict[str, EntityConfig]:
        return identifiers(entities, "entity name")

    @field_validator("sources")
    @classmethod
    def _source_names(cls, sources: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        return identifiers(sources, "source name")

    @field_validator("streams")
    @classmethod
    def _stream_names(cls, streams: dict[str, StreamConfig]) -> dict[str, StreamConfig]:
        return identifiers(streams, "stream name")

    @model_validator(mode="after")
    def _streams_apart_from_sources(self) -> ProjectConfig:
        both = sorted(set(self.sources) & set(self.streams))
        if both:
            raise ValueError(f"{both[0]!r} is both a source and a stream; give them apart names")
        tables: dict[str, str] = {}
        for stream_name, stream in self.streams.items():
            for window in stream.windows:
                table = f"{stream_name}_{window}"
                if table in tables:
                    raise ValueError(
                        f"streams {tables[table]} and {stream_name} would both write "
                        f"exploitation.{table}; rename a stream or a window"
                    )
                tables[table] = stream_name
        return self

    @property
    def formatted_sources(self) -> dict[str, SourceConfig]:
        """Return what the format step formats: the sources, and each stream's landed events."""
        streamed = {name: stream_source(name, stream) for name, stream in self.streams.items()}
        return {**self.sources, **streamed}

    @model_validator(mode="after")
    def _terms_known(self) -> ProjectConfig:
        for name, source in self.sources.items():
            try:
                self.glossary.canonical(source.docs.all_terms(), f"source {name}")
            except ValueError as error:
                refuse(("sources", name, "docs"), str(error), source.docs.all_terms())
        return self

    @model_validator(mode="after")
    def _pipeline_steps_exist(self) -> ProjectConfig:
        sources = set(self.sources)
        known = {
            "collect": sources,
            "format": sources | set(self.streams),
            "forecasts": set(self.forecasts),
        }
        check_references(self.pipelines, {**known, "anomalies": set(self.anomalies)})
        return self


def load(project_dir: Path) -> ProjectConfig:
    """Return the validated config of the project in `project_dir`."""
    path = project_dir / PROJECT_FILE
    if not path.exists():
        raise ConfigError(
            f"{path}: no project file", hint="run 'lakebox init' to create one", file=str(path)
        )
    document = read_yaml_file(path)
    return _validated(document, str(path), project_dir)


def parse(
    text: str, filename: str = PROJECT_FILE, project_dir: Path | None = None
) -> ProjectConfig:
    """Return the config in YAML `text`; errors name `filename` and the line at fault. With
    `project_dir`, its relative folders are checked where they resolve (`config.places`)."""
    return _validated(read_yaml(text, filename), filename, project_dir)


def _validated(document: YamlDocument, filename: str, project_dir: Path | None) -> ProjectConfig:
    data = document.data or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{filename}:1: the project file must be a mapping", file=filename)
    context = {"project_dir": project_dir.resolve()} if project_dir is not None else None
    try:
        return ProjectConfig.model_validate(expand_env(data), context=context)
    except ValidationError as error:
        raise config_error(error, document.node, filename) from error


def source_from_options(values: dict[str, Any]) -> SourceConfig:
    """Return a source built from command-line options; errors name the option at fault."""
    try:
        return SourceConfig.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        option = "--" + str(first["loc"][0]).replace("_", "-") if first["loc"] else "options"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{option}: {message}", field=option) from error
