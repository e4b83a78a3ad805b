"""Retrying: exponential backoff, the server's wait, and the error when attempts run out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from lakebox.errors import LandingError
from lakebox.landing.retry import RetryPolicy, Transient, call_with_retries
from lakebox.landing.sources.http import retry_after


def test_waits_double_up_to_the_cap_and_the_server_decides_when_it_asks():
    policy = RetryPolicy(retries=5, backoff=0.5, max_backoff=3)
    assert [policy.delay(attempt) for attempt in range(5)] == [0.5, 1, 2, 3, 3]
    assert policy.delay(0, asked=2.5) == 2.5
    assert policy.delay(0, asked=600) == 3


def test_a_call_is_tried_again_until_it_works():
    slept: list[float] = []
    attempts = iter([Transient(LandingError("busy")), Transient(LandingError("busy"), wait=7)])

    def call() -> str:
        failure = next(attempts, None)
        if failure:
            raise failure
        return "done"

    policy = RetryPolicy(retries=3, backoff=1, max_backoff=60)
    assert call_with_retries(call, policy, "test", sleep=slept.append) == "done"
    assert slept == [1, 7]


def test_when_attempts_run_out_the_error_says_how_many_were_made():
    def call() -> None:
        raise Transient(LandingError("GET x: 503 Service Unavailable", hint="later"))

    with pytest.raises(LandingError) as raised:
        call_with_retries(call, RetryPolicy(2, 0, 0), "test", sleep=lambda _: None)
    assert str(raised.value) == ("GET x: 503 Service Unavailable (gave up after 3 attempts); later")


def test_an_error_that_is_not_transient_is_raised_at_once():
    calls = []

    def call() -> None:
        calls.append(1)
        raise LandingError("wrong password")

    with pytest.raises(LandingError, match="wrong password"):
        call_with_retries(call, RetryPolicy(5, 0, 0), "test", sleep=lambda _: None)
    assert calls == [1]


def test_retry_after_reads_seconds_and_http_dates():
    def response(value: str) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": value})

    assert retry_after(response("12")) == 12
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after(response(later)) or 0) <= 30
    assert retry_after(response("soon")) is None
    assert retry_after(httpx.Response(503)) is None
