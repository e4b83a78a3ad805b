"""The `lineage:` section of lakebox.yaml: defaults, a full section, the API key taken from the
environment and kept out of messages, and errors that name the file and line."""

from __future__ import annotations

import pytest

from lakebox import config, redaction
from lakebox.errors import ConfigError


def refused(text: str) -> str:
    """Return the message of the ConfigError `text` raises."""
    with pytest.raises(ConfigError) as caught:
        config.parse(text, "p/lakebox.yaml")
    return str(caught.value)


def test_no_section_is_none_and_a_file_alone_has_the_defaults():
    assert config.parse("name: shop\n").lineage is None
    lineage = config.parse("name: shop\nlineage:\n  file: lineage.ndjson\n").lineage
    assert lineage is not None and lineage.enabled
    assert lineage.namespace_of("shop") == "lakebox://shop"
    assert (lineage.url, lineage.endpoint_url, lineage.api_key, lineage.timeout) == (
        None,
        None,
        None,
        5.0,
    )


@pytest.fixture
def forgetting():
    """Forget, after the test, the values its project took from the environment."""
    yield
    redaction.forget_all()


def test_a_full_section_with_the_key_from_the_environment(monkeypatch, forgetting):
    monkeypatch.setenv("MARQUEZ_KEY", "from-the-environment-42")
    lineage = config.parse(
        "name: shop\nlineage:\n  namespace: prod\n  file: ol/events.ndjson\n"
        "  url: http://marquez:5000/\n  endpoint: /api/v1/lineage\n"
        "  api_key: ${MARQUEZ_KEY}\n  timeout: 2s\n"
    ).lineage
    assert lineage is not None
    assert lineage.namespace_of("shop") == "prod"
    assert lineage.endpoint_url == "http://marquez:5000/api/v1/lineage"
    assert lineage.timeout == 2.0
    assert lineage.api_key is not None
    assert lineage.api_key.get_secret_value() == "from-the-environment-42"
    assert "from-the-environment-42" not in repr(lineage)
    assert redaction.scrub("key from-the-environment-42") == "key ***"


@pytest.mark.parametrize(
    ("section", "says"),
    [
        ("  namespace: x\n", "lineage needs 'file', 'url' or both"),
        ("  url: ftp://host/x\n", "url must be an http:// or https:// address"),
        ("  file: a.ndjson\n  api_key: k\n", "'api_key' is sent to 'url'"),
        ("  file: a.ndjson\n  timeout: 0\n", "timeout"),
        ("  file: a.ndjson\n  timeout: 10 min\n", "timeout"),
        ("  file: a.ndjson\n  timeout: soon\n", "is not a duration"),
        ("  file: ' '\n", "must not be empty"),
        ("  file: a.ndjson\n  colour: red\n", "colour"),
    ],
)
def test_errors_name_the_line(section: str, says: str):
    message = refused("name: shop\nlineage:\n" + section)
    assert says in message and "p/lakebox.yaml:" in message


def test_disabled_needs_nowhere_to_send():
    lineage = config.parse("name: shop\nlineage:\n  enabled: false\n").lineage
    assert lineage is not None and not lineage.enabled
