"""`Schedule`: when a pipeline runs — a cron expression (five fields, or six with seconds
last), a nickname like `@hourly`, or an interval like `every 30s`: a pipeline's `schedule:`
parsed (croniter loads only when a cron expression is read)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lakebox.config.durations import duration_seconds

_EVERY = re.compile(r"^\s*every\s+(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule; times are UTC."""

    text: str
    interval: float | None = None

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """Return the schedule `text` means; raise ValueError saying what is accepted."""
        every = _EVERY.match(text)
        if every:
            seconds = duration_seconds(every.group(1))
            if seconds <= 0:
                raise ValueError(f"schedule {text!r}: the interval must be longer than zero")
            return cls(text, seconds)
        from croniter import croniter

        if not croniter.is_valid(text):
            raise ValueError(
                f"schedule {text!r} is not a cron expression ('0 * * * *', or six fields with "
                "seconds last), a nickname ('@hourly', '@daily') or an interval ('every 30s')"
            )
        return cls(text)

    def next_after(self, moment: datetime) -> datetime:
        """Return the first time after `moment` the schedule fires."""
        moment = moment.astimezone(UTC)
        if self.interval is not None:
            epoch = moment.timestamp()
            return datetime.fromtimestamp((epoch // self.interval + 1) * self.interval, UTC)
        from croniter import croniter

        fired = croniter(self.text, moment).get_next(datetime)
        return fired if fired > moment else fired + timedelta(seconds=1)

    def previous_before(self, moment: datetime) -> datetime:
        """Return the last time at or before `moment` the schedule fired."""
        moment = moment.astimezone(UTC)
        if self.interval is not None:
            epoch = moment.timestamp()
            return datetime.fromtimestamp(epoch // self.interval * self.interval, UTC)
        from croniter import croniter

        return croniter(self.text, moment + timedelta(microseconds=1)).get_prev(datetime)
