"""The `forecasts:` block of lakebox.yaml: validated, with errors naming the file and line."""

from __future__ import annotations

import pytest

from lakebox import config as config_module
from lakebox.config.forecasts import horizon_words
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


@pytest.mark.parametrize(
    ("horizon", "freq", "words"),
    [
        (12, "MS", "12 months"),
        (12, "M", "12 months"),
        (3, "ME", "3 months"),
        (8, "W", "8 weeks"),
        (8, "W-SUN", "8 weeks"),
        (30, "D", "30 days"),
        (24, "h", "24 hours"),
        (24, "H", "24 hours"),
        (4, "QS", "4 quarters"),
        (4, "Q", "4 quarters"),
        (4, "QE-DEC", "4 quarters"),
        (2, "YS", "2 years"),
        (2, "Y", "2 years"),
        (2, "A", "2 years"),
        (2, "A-DEC", "2 years"),
        (1, "MS", "1 month"),
        (4, "15min", "60 minutes"),
        (5, "B", "5 business days"),
        (3, "odd", "3 × odd"),
    ],
)
def test_the_horizon_is_said_in_words(horizon, freq, words):
    assert horizon_words(horizon, freq) == words


def test_non_negative_is_auto_unless_declared():
    declared = config_module.parse(GOOD).forecasts["materials"]
    assert declared.non_negative == "auto" and declared.horizon_words == "12 months"
    forced = config_module.parse(GOOD + "    non_negative: true\n").forecasts["materials"]
    assert forced.non_negative is True
    with pytest.raises(ConfigError, match="non_negative"):
        config_module.parse(GOOD + "    non_negative: sometimes\n")
