"""The `alerts:` section: defaults, and errors that name the file and line."""

from __future__ import annotations

import pytest

from lakebox.config import parse
from lakebox.errors import ConfigError
from lakebox.monitoring.alerts import evaluate
from tests.conftest import ProjectFactory


def test_defaults_alert_every_kind_from_warn_on() -> None:
    alerts = parse("name: x\n").alerts
    assert (alerts.channels, alerts.min_severity, alerts.max_age) == ([], "warn", {})
    assert alerts.on == ["anomalies", "checks", "stale", "runs", "streams"]


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "hunter22")
    text = "alerts:\n  channels: ['mailtos://me:${SMTP_PASSWORD}@smtp.example.com']\n"
    assert parse(text).alerts.channels == ["mailtos://me:hunter22@smtp.example.com"]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("alerts:\n  channels:\n    - ops@example.com\n", "lakebox.yaml:3: alerts.channels"),
        ("alerts:\n  max_age:\n    stores: 2 h\n", "not a zone.table name"),
        ("alerts:\n  max_age:\n    exploitation.stores: soon\n", "not a duration"),
        ("alerts:\n  on: [anomalies, disks]\n", "lakebox.yaml:3: alerts.on.1"),
        ("alerts:\n  min_severity: high\n", "lakebox.yaml:3: alerts.min_severity"),
    ],
)
def test_a_wrong_setting_names_the_line(yaml_text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected.replace(".", r"\.")):
        parse("name: x\n" + yaml_text)


def test_a_channel_apprise_cannot_use_is_a_config_error(make_project: ProjectFactory) -> None:
    lh = make_project(alerts={"channels": ["nosuchservice://me:hunter22@example.com"]})
    with pytest.raises(ConfigError, match=r"alerts\.channels\[0\]") as raised:
        evaluate(lh)
    assert "hunter22" not in str(raised.value)


def test_a_bare_on_key_is_not_read_as_true() -> None:
    assert parse("alerts:\n  on: [stale]\n").alerts.on == ["stale"]
