"""The `forecasts:` block of lakebox.yaml: validated, with errors naming the file and line."""

from __future__ import annotations

import pytest

from lakebox import config as config_module
from lakebox.errors import ConfigError

GOOD = """\
name: shop
forecasts:
  materials:
    table: exploitation.materials_monthly
    ids: material
    time: month
    value: quantity_kg
    freq: MS
    horizon: 12
"""


def test_a_declared_forecast_gets_its_defaults():
    declared = config_module.parse(GOOD).forecasts["materials"]

    assert declared.ids == ["material"] and declared.levels == [80, 95]
    assert declared.models == ["auto"] and declared.seasons == (12,)
    assert declared.named("materials").name == "materials"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("horizon: 12", "horizn: 12"),
            "lakebox.yaml:9: forecasts.materials.horizn: unknown key 'horizn'",
        ),
        (
            ("freq: MS", "freq: monthly"),
            "lakebox.yaml:8: forecasts.materials.freq: unknown freq 'monthly'",
        ),
        (
            ("    freq: MS\n", "    freq: MS\n    models: [prophet]\n"),
            "lakebox.yaml:9: forecasts.materials.models: unknown model 'prophet'",
        ),
        (
            ("    freq: MS\n", "    freq: MS\n    sql: SELECT 1\n"),
            "lakebox.yaml:3: forecasts.materials: give either 'table' or 'sql'",
        ),
        (
            ("table: exploitation.materials_monthly", "table: materials"),
            "lakebox.yaml:4: forecasts.materials.table: table 'materials' is not zone.table",
        ),
        (
            ("  materials:", "  Materials:"),
            "lakebox.yaml:3: forecasts.Materials.[key]: forecast name 'Materials' must be",
        ),
        (
            ("    freq: MS\n", "    freq: MS\n    levels: [80, 100]\n"),
            "lakebox.yaml:9: forecasts.materials.levels: levels [80, 100] must be percentages",
        ),
    ],
)
def test_a_wrong_forecast_names_its_line(change, message):
    with pytest.raises(ConfigError) as caught:
        config_module.parse(GOOD.replace(*change))

    assert str(caught.value).startswith(message), str(caught.value)
