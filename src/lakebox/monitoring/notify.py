"""Delivery of one message to one apprise channel (email over SMTP, Slack, webhooks, …)."""

from __future__ import annotations

import hashlib
import logging

import apprise

from lakebox.errors import ConfigError
from lakebox.redaction import redact_url, scrub, url_secrets

logger = logging.getLogger(__name__)


def channel_id(url: str) -> str:
    """Return a short stable id of channel `url` that keeps no secret (stored in ops.alerts)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def channel_name(url: str) -> str:
    """Return `url` fit to show: without its password or token-like query values."""
    return redact_url(url)


def check_channels(urls: list[str]) -> None:
    """Raise ConfigError naming the first of `urls` that apprise cannot send to."""
    for position, url in enumerate(urls):
        if apprise.Apprise.instantiate(url) is None:
            raise ConfigError(
                f"alerts.channels[{position}]: {channel_name(url)} is not a URL apprise can use",
                hint="see https://github.com/caronc/apprise/wiki for the URL of each service, "
                "e.g. mailtos://user:${SMTP_PASSWORD}@smtp.example.com or json://host:8080/path",
                field=f"alerts.channels[{position}]",
            )


def send(url: str, title: str, body: str, resolved: bool = False) -> str | None:
    """Send one message to `url`; return None when delivered, else why it was not."""
    notifier = apprise.Apprise()
    notifier.add(url)
    kind = apprise.NotifyType.SUCCESS if resolved else apprise.NotifyType.FAILURE
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        delivered = notifier.notify(body=scrub(body), title=scrub(title), notify_type=kind)
        log = captured.getvalue().strip()
    if delivered:
        return None
    reason = scrub(log.splitlines()[-1] if log else "delivery failed", url_secrets(url))
    logger.info("alert to %s not delivered: %s", channel_name(url), reason)
    return f"{channel_name(url)}: {reason}"
