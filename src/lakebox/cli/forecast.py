"""`lakebox forecast`: run a declared forecast, or one a table or query and the options
describe, and show each series' model and backtest metrics."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from lakebox.cli.options import JsonOption, ProjectOption, QuietOption
from lakebox.cli.render import Output, plain
from lakebox.config.forecasts import ForecastConfig
from lakebox.errors import ConfigError

if TYPE_CHECKING:  # the models import statsforecast: only when a forecast runs
    from lakebox.analysis.forecast.run import ForecastReport
    from lakebox.ground.reporter import Reporter
    from lakebox.lakehouse import Lakehouse


def register(app: typer.Typer) -> None:
    """Add `lakebox forecast` to `app`."""
    app.command("forecast")(forecast_command)


def forecast_command(
    name: Annotated[
        str | None,
        typer.Argument(help="The forecast's name: one declared in lakebox.yaml, or a new one."),
    ] = None,
    table: Annotated[
        str | None, typer.Option(help="Forecast this table (zone.table) instead.")
    ] = None,
    sql: Annotated[str | None, typer.Option(help="Forecast the result of this query.")] = None,
    ids: Annotated[
        list[str] | None, typer.Option("--id", help="An id column (repeat for several).")
    ] = None,
    time: Annotated[str | None, typer.Option(help="The time column.")] = None,
    value: Annotated[str | None, typer.Option(help="The column to forecast.")] = None,
    freq: Annotated[str | None, typer.Option(help="MS or M (monthly), D, h, W, QS …")] = None,
    horizon: Annotated[int | None, typer.Option(help="How many steps ahead.")] = None,
    levels: Annotated[
        list[int] | None,
        typer.Option("--level", help="An interval level in % (repeat; default 80 and 95)."),
    ] = None,
    models: Annotated[
        list[str] | None,
        typer.Option("--model", help="A candidate model (repeat; default auto)."),
    ] = None,
    windows: Annotated[
        int | None, typer.Option("--windows", help="Backtest windows (default 2).")
    ] = None,
    project_dir: ProjectOption = Path(),
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Forecast every series of a table; write analytics.forecast_NAME and its _metrics.

    Without --table or --sql, runs the forecast NAME declared in lakebox.yaml (every
    declared forecast when NAME is left out too).
    """
    from lakebox.analysis.forecast.run import forecast
    from lakebox.lakehouse import open_project

    output = Output(quiet, as_json)
    options = {
        "table": table,
        "sql": sql,
        "ids": ids,
        "time": time,
        "value": value,
        "freq": freq,
        "horizon": horizon,
        "levels": levels,
        "models": models,
        "backtest_windows": windows,
    }
    given = {key: option for key, option in options.items() if option}
    with open_project(project_dir) as lh, output.progress() as reporter:
        if table or sql:
            reports = [forecast(lh, _config(name, given), reporter)]
        else:
            reports = _declared(lh, name, given, reporter)
    output.data([plain(report) for report in reports])
    for report in reports:
        show_report(output, report)


def _declared(
    lh: Lakehouse, name: str | None, given: dict[str, object], reporter: Reporter
) -> list[ForecastReport]:
    """Return the reports of the declared forecast `name` (of every one, when None)."""
    from lakebox.analysis.forecast.run import forecast_declared

    if given:
        raise ConfigError(
            f"{_OPTIONS[next(iter(given))]} needs --table or --sql",
            hint="run a declared forecast by its name alone, or give --table/--sql with options",
        )
    return forecast_declared(lh, [name] if name else None, reporter)


def _config(name: str | None, given: dict[str, object]) -> ForecastConfig:
    """Return the forecast config the options describe; errors name the option at fault."""
    if name is None:
        raise ConfigError("a forecast from --table or --sql needs a NAME", field="NAME")
    try:
        return ForecastConfig.model_validate({"name": name, **given})
    except ValidationError as error:
        first = error.errors()[0]
        option = _OPTIONS.get(str(first["loc"][0]), str(first["loc"][0])) if first["loc"] else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "missing":
            message = "is required with --table or --sql"
        raise ConfigError(f"{option or 'options'}: {message}", field=option) from error


_OPTIONS = {
    "name": "NAME",
    "ids": "--id",
    "levels": "--level",
    "models": "--model",
    "backtest_windows": "--windows",
    **{key: f"--{key}" for key in ("table", "sql", "time", "value", "freq", "horizon")},
}


def show_report(output: Output, report: ForecastReport) -> None:
    """Show a forecast's summary line and one row per series: model, sMAPE, MASE."""
    output.say(
        f"forecast {report.name}: {len(report.series)} series, {report.horizon_label} "
        f"ahead, {report.rows} rows into "
        f"{report.table} (snapshot {report.snapshot_id}); backtest metrics in "
        f"{report.metrics_table}; strategy {report.strategy}; {report.seconds:.1f} s"
    )
    output.table(
        f"forecast {report.name}",
        ["series", "model", "sMAPE %", "MASE", "windows", "notes"],
        [
            [
                ", ".join(f"{key}={value}" for key, value in one.ids.items()) or "(all)",
                one.model,
                f"{one.smape:.2f}",
                f"{one.mase:.3f}",
                one.windows,
                "; ".join(one.notes),
            ]
            for one in report.series
        ],
    )
