"""The analysis steps of a run, after the models: the declared forecasts whose inputs changed,
then the declared anomaly rules (which may read those forecasts)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from lakebox.errors import LakeboxError
from lakebox.lakehouse import Lakehouse

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


def analyse(lh: Lakehouse, run_id: str, force: bool = False) -> list[AnalysisResult]:
    """Make the declared forecasts that are missing or stale (all, with `force`), then run
    the declared anomaly rules; a step that fails is reported and the others go on."""
    results = [_timed(_forecast, lh, name, force) for name in sorted(lh.config.forecasts)]
    if lh.config.anomalies:
        started = time.monotonic()
        rules = _anomalies(lh, run_id)
        for rule in rules:  # one pass runs every rule: each shares its time
            rule.seconds = time.monotonic() - started
        results += rules
    return results


def _timed(step: Callable[..., AnalysisResult], *args: object) -> AnalysisResult:
    """Return what `step(*args)` returns, with the seconds it took."""
    started = time.monotonic()
    result = step(*args)
    result.seconds = time.monotonic() - started
    return result


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


def _anomalies(lh: Lakehouse, run_id: str) -> list[AnalysisResult]:
    from lakebox.analysis.anomalies.runner import detect

    try:
        report = detect(lh, run_id=run_id)
    except LakeboxError as error:
        logger.error("anomaly rules: %s", error)
        return [AnalysisResult("anomalies", "*", "failed", message=str(error))]
    return [
        AnalysisResult("anomalies", one.name, one.status, one.found, one.message)
        for one in report.outcomes
    ]
