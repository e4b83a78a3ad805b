"""Secrets stay out of messages and the manifest."""

from __future__ import annotations

import logging

import pytest

from lakebox import config, redaction
from lakebox.errors import ConfigError, LandingError
from lakebox.redaction import forget_all, redact_url, scrub, url_secrets


def test_redacted_urls_keep_the_user_and_hide_the_password():
    assert (
        redact_url("postgresql://app:pa%40ss@db:5432/shop?sslmode=require&password=x")
        == "postgresql://app@db:5432/shop?sslmode=require&password=***"
    )


def test_secret_looking_query_values_are_hidden_and_the_rest_kept():
    url = "https://api.example.com/v1/items?api_key=abc123&since=2026-01-01T00:00:00Z&page=2"
    assert redact_url(url) == (
        "https://api.example.com/v1/items?api_key=***&since=2026-01-01T00:00:00Z&page=2"
    )
    assert redact_url("https://x/?q=abc123", secrets=("abc123",)) == "https://x/?q=***"


def test_a_message_loses_every_secret_of_the_url():
    url = "mysql://root:pa%40ss@127.0.0.1:3306/db?token=t0k3n"
    secrets = url_secrets(url)
    assert set(secrets) == {"pa%40ss", "pa@ss", "t0k3n"}
    message = (
        "Access denied for root (password pa@ss) at mysql://root:pa%40ss@127.0.0.1?token=t0k3n"
    )
    assert "pa@ss" not in scrub(message, secrets) and "t0k3n" not in scrub(message, secrets)


@pytest.fixture
def forgetting():
    """Forget the values remembered by the test (the registry is process-wide)."""
    yield
    forget_all()


def test_every_form_of_a_remembered_value_is_hidden_and_short_ones_are_not(forgetting):
    redaction.remember("to/k@en 42")
    redaction.remember("abc")  # shorter than MIN_LENGTH: left visible
    redaction.remember("ops@example.com")
    message = (
        "GET /bot to/k@en 42, /botto%2Fk%40en%2042, /to/k@en%2042, "
        'json "to/k@en 42", abc, mail ops@example.com via smtp.example.com'
    )
    assert scrub(message) == (
        'GET /bot ***, /bot***, /***, json "***", abc, mail *** via smtp.example.com'
    )


def test_a_lakebox_error_never_holds_a_remembered_value(forgetting):
    redaction.remember("hunter2-secret")
    error = LandingError("GET /bot/hunter2-secret/x: 500", hint="token hunter2-secret?", url="x")
    assert "hunter2-secret" not in str(error)
    assert error.message == "GET /bot/***/x: 500" and error.hint == "token ***?"


def test_log_records_are_scrubbed_whatever_the_handler(forgetting, caplog):
    redaction.remember("hunter2-secret")
    logger = logging.getLogger("lakebox.tests.redaction")
    with caplog.at_level(logging.INFO):
        logger.info("pulling %s with %d pages", "/bot/hunter2-secret", 3)
        try:
            raise RuntimeError("boom at /bot/hunter2-secret")
        except RuntimeError:
            logger.exception("failed")
    assert "hunter2-secret" not in caplog.text
    assert "pulling /bot/*** with 3 pages" in caplog.text
    [pulled, failed] = caplog.records
    assert pulled.args == ("/bot/***", 3)  # kept apart: formatters that read them still work
    assert "boom at /bot/***" in failed.exc_text


def test_a_config_remembers_only_values_from_the_environment(forgetting, monkeypatch):
    monkeypatch.setenv("LAKEBOX_TEST_TOKEN", "t0k3n-from-env")
    config.parse("name: x-${LAKEBOX_TEST_TOKEN}\n")
    config.parse("catalog:\n  name: ${LAKEBOX_TEST_UNSET_NAME:-written-default}\n")
    assert "t0k3n-from-env" in redaction.remembered()
    assert "written-default" not in redaction.remembered()
    with pytest.raises(ConfigError) as error:
        config.parse("engine:\n  memory_limit: ${LAKEBOX_TEST_TOKEN}\n", "lakebox.yaml")
    assert "t0k3n-from-env" not in str(error.value) and "'***' is not a size" in str(error.value)


def test_a_bare_at_in_a_database_password_is_a_config_error_naming_no_part_of_it(
    forgetting, monkeypatch
):
    monkeypatch.setenv("LAKEBOX_TEST_PW", "se@cret-pass")
    for url in (
        "postgresql://app:${LAKEBOX_TEST_PW}@db/shop",
        "mysql://app:p@ss${LAKEBOX_TEST_PW}@db/x",
    ):
        text = f"sources:\n  shop:\n    kind: postgres\n    url: {url}\n    table: t\n"
        with pytest.raises(ConfigError) as error:
            config.parse(text, "lakebox.yaml")
        message = str(error.value)
        assert message.startswith("lakebox.yaml:4: sources.shop.url: the user or password")
        assert "percent-encode @ in passwords as %40" in message
        assert not any(part in message for part in ("se@cret", "cret-pass", "p@ss"))
    monkeypatch.setenv("LAKEBOX_TEST_PW", "se%40cret-pass")
    text = (
        "sources:\n  shop:\n    kind: postgres\n"
        "    url: postgresql://a:${LAKEBOX_TEST_PW}@db/s\n    table: t\n"
    )
    assert config.parse(text).sources["shop"].url == "postgresql://a:se%40cret-pass@db/s"
    assert scrub("password se@cret-pass") == "password ***"


def test_an_unencoded_at_in_a_url_password_hides_what_a_client_takes_for_the_host():
    secrets = url_secrets("postgresql://u:p@ssw0rd@127.0.0.1/db")
    message = 'could not translate host name "ssw0rd@127.0.0.1" to address'
    assert "ssw0rd" not in scrub(message, secrets)
