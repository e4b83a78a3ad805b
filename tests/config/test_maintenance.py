"""The `maintenance:` section: defaults, table patterns, and bad values named with their
line."""

from __future__ import annotations

import pytest

from lakebox import config
from lakebox.config.pipelines import PipelineConfig
from lakebox.errors import ConfigError


def refused(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        config.parse("name: shop\n" + text, "p/lakebox.yaml")
    return str(caught.value)


def test_the_defaults_keep_a_week_and_compact_to_128mb():
    maintenance = config.parse("name: shop\n").maintenance
    assert maintenance.target_bytes == 128 * 1000**2
    assert maintenance.retention_seconds == 7 * 86400
    assert maintenance.orphan_age_seconds == 3 * 86400
    assert maintenance.selects("ops.runs") and maintenance.selects("analytics.forecast_x")


def test_patterns_choose_and_exclude_tables():
    text = "name: shop\nmaintenance:\n  tables: ['ops.*', formatted.sales]\n  exclude: [ops.runs]\n"
    maintenance = config.parse(text).maintenance
    assert maintenance.selects("ops.step_runs") and maintenance.selects("formatted.sales")
    assert not maintenance.selects("ops.runs") and not maintenance.selects("formatted.stock")


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("  retention: forever", "retention"),
        ("  orphan_age: -1", "orphan_age"),
        ("  orphan_age: 10 min", "orphan_age"),
        ("  min_input_files: 1", "min_input_files"),
        ("  target_file_size: 10B", "target_file_size"),
        ("  vacuum: true", "vacuum"),
    ],
)
def test_a_bad_value_is_named_with_its_line(line: str, named: str):
    message = refused("maintenance:\n  min_snapshots: 3\n" + line + "\n")
    assert "lakebox.yaml:4" in message and named in message


def test_maintain_is_the_last_step_and_not_in_the_default_pipeline():
    pipeline = PipelineConfig(steps=["build", {"maintain": ["ops.*"]}])
    assert pipeline.steps[1].items == ["ops.*"]
    assert "maintain" not in [step.kind for step in PipelineConfig().steps]
    with pytest.raises(ValueError, match="cannot come after"):
        PipelineConfig(steps=["maintain", "build"])
