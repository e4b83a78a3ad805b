"""`LoginLimiter`: how many wrong passwords one user name may be sent from one client address.
After `attempts` failed logins within `window_seconds`, that user and address are refused for
`window_seconds` more, whatever they send (a password guesser gets a handful of tries a
minute); a successful login clears the count. Kept in memory, per server process."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lakebox.errors import AuthError

WINDOW_SECONDS = 60.0
# beyond this many user and address pairs, those with nothing left to count are forgotten
_PRUNE_AT = 4096


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)
    blocked_until: float = 0.0


class LoginLimiter:
    """Counts failed logins per (user name, client address) and refuses logins past
    `attempts` failures within `window_seconds` (AuthError, status 429), for as long again."""

    def __init__(
        self,
        attempts: int,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attempts = max(1, attempts)
        self.window = window_seconds
        self._clock = clock
        self._records: dict[tuple[str, str], _Record] = {}
        self._lock = threading.Lock()

    def check(self, user: str, address: str | None) -> None:
        """Count a login attempt of `user` from `address` before its password is checked
        (so that attempts sent side by side are counted too), or raise AuthError (status
        429) while they may not log in from there. A success (`succeeded`) clears the count."""
        now = self._clock()
        with self._lock:
            if len(self._records) >= _PRUNE_AT:
                self._prune(now)
            record = self._records.setdefault(_key(user, address), _Record())
            record.failures = [at for at in record.failures if now - at < self.window]
            if record.blocked_until <= now and len(record.failures) >= self.attempts:
                record.blocked_until = now + self.window
                record.failures.clear()
            left = record.blocked_until - now
            if left <= 0:
                record.failures.append(now)
                return
        seconds = max(1, math.ceil(left))
        raise AuthError(
            f"too many failed logins for user {user!r} from {address or 'this address'}: "
            f"try again in {seconds} s",
            hint=f"after {self.attempts} wrong passwords within {self.window:g} s, logins "
            f"are refused for {self.window:g} s",
            status=429,
            retry_after=seconds,
        )

    def released(self, user: str, address: str | None) -> None:
        """Uncount the latest attempt `check` counted (its client left before trying)."""
        with self._lock:
            record = self._records.get(_key(user, address))
            if record is not None and record.failures:
                record.failures.pop()

    def failed(self, user: str, address: str | None) -> None:
        """Note that the attempt `check` counted failed (it stays counted)."""

    def succeeded(self, user: str, address: str | None) -> None:
        """Forget the failed logins of `user` from `address`."""
        with self._lock:
            self._records.pop(_key(user, address), None)

    def _prune(self, now: float) -> None:
        stale = [
            key
            for key, record in self._records.items()
            if record.blocked_until <= now
            and all(now - at >= self.window for at in record.failures)
        ]
        for key in stale:
            del self._records[key]


def _key(user: str, address: str | None) -> tuple[str, str]:
    # lower case: a catalog database may compare user names without regard to case
    return user.lower(), address or ""
