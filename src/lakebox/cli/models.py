"""`lakebox models`: train, list, promote, roll back and score registered models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lakebox.analysis.choices import DEFAULT_FLAVOR, DEFAULT_VALIDATION, FLAVORS
from lakebox.cli.options import JsonOption, ProjectOption, QuietOption
from lakebox.cli.render import Output, plain
from lakebox.errors import ConfigError

if TYPE_CHECKING:
    from lakebox.analysis.registry import ModelVersion

models_app = typer.Typer(
    help="Train, register, promote and score models (analytics.models).", no_args_is_help=True
)

NameArgument = Annotated[str, typer.Argument(help="The model's name.")]


def register(app: typer.Typer) -> None:
    """Add the `lakebox models` commands to `app`."""
    app.add_typer(models_app, name="models")


@models_app.command("train")
def train_command(
    name: NameArgument,
    source: Annotated[
        str, typer.Option("--from", help="A sandbox's name, or a zone.table (e.g. features).")
    ],
    target: Annotated[str, typer.Option(help="The column to predict.")],
    features: Annotated[
        list[str], typer.Option("--feature", help="A feature column (repeat for several).")
    ],
    flavor: Annotated[
        str, typer.Option("--model", help=f"One of {', '.join(FLAVORS)}.")
    ] = DEFAULT_FLAVOR,
    time: Annotated[
        str | None, typer.Option(help="The time column to split on; default: the only one.")
    ] = None,
    validation: Annotated[
        float, typer.Option(help="The last share of the time range kept for validation.")
    ] = DEFAULT_VALIDATION,
    cutoff: Annotated[
        str | None, typer.Option(help="Split at this time instead (ISO date or time).")
    ] = None,
    parameters: Annotated[
        list[str] | None,
        typer.Option("--param", help="An estimator parameter KEY=VALUE (repeat)."),
    ] = None,
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Fit a model before the time cutoff, validate after it, register a new candidate."""
    from lakebox.analysis.training import train
    from lakebox.lakehouse import open_project

    output = Output(quiet, as_json)
    with open_project(project_dir) as lh:
        trained = train(
            lh,
            name,
            source,
            target,
            features,
            flavor,
            time,
            validation,
            cutoff,
            _parameters(parameters or []),
        )
    output.data(plain(trained))
    output.say(
        f"model {name} v{trained.version} ({trained.flavor}) registered as a candidate; "
        f"validation {_metrics(trained)}; promote it with "
        f"'lakebox models promote {name} {trained.version}'"
    )


@models_app.command("list")
def list_command(
    name: Annotated[str | None, typer.Argument(help="Only this model's versions.")] = None,
    project_dir: ProjectOption = Path(),
    as_json: JsonOption = False,
) -> None:
    """List the registered model versions with their status and validation metrics."""
    from lakebox.analysis import registry
    from lakebox.lakehouse import open_project

    output = Output(as_json=as_json)
    with open_project(project_dir) as lh:
        versions = registry.list_versions(lh, name)
    output.data([plain(version) for version in versions])
    output.table(
        "models",
        ["name", "version", "model", "status", "target", "features", "validation", "trained"],
        [
            [
                v.name,
                v.version,
                v.flavor,
                v.status,
                v.target,
                ", ".join(v.features),
                _metrics(v),
                v.trained_at.isoformat(timespec="seconds") if v.trained_at else "",
            ]
            for v in versions
        ],
    )


@models_app.command("promote")
def promote(
    name: NameArgument,
    version: Annotated[int, typer.Argument(help="The version to put into production.")],
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
) -> None:
    """Make a version the production one; the previous production version is archived."""
    from lakebox.analysis import registry
    from lakebox.lakehouse import open_project

    with open_project(project_dir) as lh:
        registry.promote(lh, name, version)
    Output(quiet).say(f"model {name} v{version} is in production")


@models_app.command("rollback")
def rollback(
    name: NameArgument, project_dir: ProjectOption = Path(), quiet: QuietOption = False
) -> None:
    """Put back the version that was in production before the current one."""
    from lakebox.analysis import registry
    from lakebox.lakehouse import open_project

    with open_project(project_dir) as lh:
        restored = registry.rollback(lh, name)
    Output(quiet).say(f"model {name} rolled back to v{restored.version}")


@models_app.command("score")
def score_command(
    name: NameArgument,
    source: Annotated[
        str, typer.Option("--from", help="SQL, a zone.table or a sandbox's name to score.")
    ],
    version: Annotated[
        int | None, typer.Option(help="Score with this version; default: production.")
    ] = None,
    keys: Annotated[
        list[str] | None,
        typer.Option("--key", help="Keep this input column (repeat); default: all but features."),
    ] = None,
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Write a model's predictions for every row into analytics.scores_NAME."""
    from lakebox.analysis.scoring import score
    from lakebox.lakehouse import open_project

    output = Output(quiet, as_json)
    with open_project(project_dir) as lh:
        report = score(lh, name, source, version, keys)
    output.data(plain(report))
    output.say(
        f"model {name} v{report.version}: {report.rows} predictions in {report.table} "
        f"(snapshot {report.snapshot_id})"
    )


def _parameters(given: list[str]) -> dict[str, Any]:
    """Return `KEY=VALUE` pairs as a dict, values read as JSON when they are (0.5, true)."""
    parsed: dict[str, Any] = {}
    for item in given:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise ConfigError(f"--param {item!r} is not KEY=VALUE", hint="e.g. --param alpha=0.5")
        try:
            parsed[key] = json.loads(value)
        except json.JSONDecodeError:
            parsed[key] = value
    return parsed


def _metrics(version: ModelVersion) -> str:
    shown = ("mae", "rmse", "mape")
    return ", ".join(
        f"{key.upper()} {version.metrics[key]:.4g}"
        for key in shown
        if isinstance(version.metrics.get(key), int | float)
    )
