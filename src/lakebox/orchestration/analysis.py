"""The analysis steps of a run, after the models: the declared forecasts whose inputs changed,
then the declared anomaly rules (which may read those forecasts)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from lakebox.errors import LakeboxError
from lakebox.lakehouse import Lakehouse
from lakebox.orchestration.report import outcome_kind

logger = logging.getLogger(__name__)


@dataclass
class AnalysisResult:
    """One analysis step: a forecast (`done`, `unchanged` or `failed`) or an anomaly rule
    (`ok`, `skipped` while its table does not exist, or `failed`), with the rows it wrote."""

    kind: str
    name: str
    status: str
    rows: int = 0
    message: str = ""
    seconds: float = 0.0


def _failure(result: AnalysisResult) -> str | None:
    if result.status != "failed":
        return None
    return f"{result.kind}:{result.name}: {result.message}"


# What the forecasts and anomaly rules of a run did (failures in the order they came).
ANALYSED = outcome_kind("analysis", "forecasts", failure=_failure)


def timed_forecast(lh: Lakehouse, name: str, force: bool = False) -> AnalysisResult:
    """Make declared forecast `name` if it is missing or stale (always, with `force`); a
    failure is reported, not raised."""
    started = time.monotonic()
    result = _forecast(lh, name, force)
    result.seconds = time.monotonic() - started
    return result


def detect_anomalies(
    lh: Lakehouse, run_id: str, rules: list[str] | None = None
) -> list[AnalysisResult]:
    """Run the declared anomaly rules (or `rules`) in one pass; a failure is reported."""
    from lakebox.analysis.anomalies.runner import detect

    try:
        report = detect(lh, rules, run_id=run_id)
    except LakeboxError as error:
        logger.error("anomaly rules: %s", error)
        return [AnalysisResult("anomalies", "*", "failed", message=str(error))]
    return [
        AnalysisResult("anomalies", one.name, one.status, one.found, one.message)
        for one in report.outcomes
    ]


def _forecast(lh: Lakehouse, name: str, force: bool) -> AnalysisResult:
    from lakebox.analysis.forecast.run import forecast, is_stale

    config = lh.config.forecasts[name].named(name)
    try:
        if not force and not is_stale(lh, config):
            return AnalysisResult("forecast", name, "unchanged")
        report = forecast(lh, config)
    except LakeboxError as error:
        logger.error("forecast %s: %s", name, error)
        return AnalysisResult("forecast", name, "failed", message=str(error))
    return AnalysisResult("forecast", name, "done", report.rows, report.strategy)
