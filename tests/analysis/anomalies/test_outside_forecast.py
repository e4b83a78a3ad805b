"""`outside_forecast` flags actuals outside the 80% (warn) and 95% (critical) intervals of a
table shaped like `analytics.forecast_<name>`."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lakebox.analysis.anomalies import detect
from tests.analysis.anomalies.conftest import declare, found
from tests.analysis.conftest import write_table

ACTUALS = {
    "clay": [100, 105, 115, 95, 100, 100],  # March above the 80% interval: warn
    "sand": [100, 100, 100, 100, 70, 100],  # May below the 95% interval: critical
}
CLAY_MARCH = ("material=clay", "2025-03-01 00:00:00")
SAND_MAY = ("material=sand", "2025-05-01 00:00:00")
LATEST = datetime(2025, 1, 2, tzinfo=UTC)


def forecast_row(material: str, month: int, created_at: datetime, width: float) -> dict:
    return {
        "material": material,
        "ds": date(2025, month, 1),
        "forecast": 100.0,
        "lo_80": 100 - width,
        "hi_80": 100 + width,
        "lo_95": 100 - 2 * width,
        "hi_95": 100 + 2 * width,
        "model": "AutoETS",
        "created_at": created_at,
    }


@pytest.fixture(scope="module")
def materials(shared_lh):
    actuals = [
        {"material": material, "month": date(2025, month, 1), "kg": float(kg)}
        for material, values in ACTUALS.items()
        for month, kg in enumerate(values, start=1)
    ]
    write_table(shared_lh, "exploitation.materials_monthly", actuals)
    forecasts = [
        forecast_row(material, month, LATEST, 10) for material in ACTUALS for month in range(1, 9)
    ]
    # an older, narrower forecast of clay in April would flag 95: the newest one is judged
    forecasts.append(forecast_row("clay", 4, datetime(2024, 12, 1, tzinfo=UTC), 1))
    write_table(shared_lh, "analytics.forecast_materials", forecasts)
    return shared_lh


def rule(**parameters: object) -> dict[str, object]:
    return {
        "table": "exploitation.materials_monthly",
        "ids": ["material"],
        "time": "month",
        "value": "kg",
        "outside_forecast": {"forecast": "analytics.forecast_materials", **parameters},
    }


def test_finds_exactly_the_actuals_outside_the_intervals(materials):
    assert found(materials, months=rule()) == {(*CLAY_MARCH, "warn"), (*SAND_MAY, "critical")}
    rows = materials.query(
        "SELECT expected, deviation, detail FROM analytics.anomalies ORDER BY ts"
    ).to_pylist()
    assert rows[0] == {
        "expected": 100.0,
        "deviation": pytest.approx(0.15),
        "detail": "Sat 2025-03-01: 115 above the 80% interval [90, 110] of the forecast 100 "
        "(AutoETS)",
    }
    assert rows[1]["detail"].startswith("Thu 2025-05-01: 70 below the 95% interval [80, 120]")


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"critical_interval": None}, {(*CLAY_MARCH, "warn"), (*SAND_MAY, "warn")}),
        ({"warn_interval": 95, "critical_interval": None}, {(*SAND_MAY, "warn")}),
        ({"model": "AutoTheta"}, set()),
    ],
)
def test_intervals_and_model_change_the_result(materials, parameters, expected):
    assert found(materials, months=rule(**parameters)) == expected


def test_a_forecast_not_made_yet_skips_the_rule(lh):
    write_table(
        lh,
        "exploitation.materials_monthly",
        [{"material": "clay", "month": date(2025, 1, 1), "kg": 1.0}],
    )
    declare(lh, months=rule())
    report = detect(lh)
    assert report.ok and report.outcomes[0].status == "skipped"
    assert report.outcomes[0].message == "analytics.forecast_materials does not exist yet"
