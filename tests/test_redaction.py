"""Secrets stay out of messages and the manifest."""

from __future__ import annotations

from lakebox.redaction import redact_url, scrub, url_secrets


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
