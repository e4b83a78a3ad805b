"""`LoginLimiter`: a handful of wrong passwords a minute per user name and client address."""

from __future__ import annotations

import pytest

from lakebox.access.limits import LoginLimiter
from lakebox.errors import AuthError


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_logins_are_refused_for_a_window_after_too_many_failures(clock):
    limiter = LoginLimiter(3, 60, clock=clock)
    for _ in range(3):
        limiter.check("alice", "10.0.0.1")
        limiter.failed("alice", "10.0.0.1")
    with pytest.raises(AuthError, match="too many failed logins") as refused:
        limiter.check("alice", "10.0.0.1")
    assert refused.value.fields["status"] == 429 and refused.value.fields["retry_after"] == 60
    limiter.check("alice", "10.0.0.2")  # another address
    limiter.check("bob", "10.0.0.1")  # another user
    with pytest.raises(AuthError):
        limiter.check("ALICE", "10.0.0.1")  # names compared without regard to case
    clock.now += 60
    limiter.check("alice", "10.0.0.1")


def test_failures_older_than_the_window_do_not_count(clock):
    limiter = LoginLimiter(3, 60, clock=clock)
    limiter.failed("alice", "10.0.0.1")
    limiter.failed("alice", "10.0.0.1")
    clock.now += 61
    limiter.failed("alice", "10.0.0.1")
    limiter.check("alice", "10.0.0.1")


def test_a_login_clears_the_count(clock):
    limiter = LoginLimiter(2, 60, clock=clock)
    limiter.failed("alice", None)
    limiter.succeeded("alice", None)
    limiter.failed("alice", None)
    limiter.check("alice", None)


def test_attempts_sent_side_by_side_are_counted_before_their_passwords_are_checked():
    import threading

    limiter = LoginLimiter(3)
    passed: list[int] = []
    barrier = threading.Barrier(20)

    def attempt(number: int) -> None:
        barrier.wait()
        try:
            limiter.check("root", "10.0.0.9")
        except AuthError:
            return
        passed.append(number)  # its password would be checked now, slowly

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(passed) == 3
    limiter.succeeded("root", "10.0.0.9")  # the right password clears the count
    limiter.check("root", "10.0.0.9")
