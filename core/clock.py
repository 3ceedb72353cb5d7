"""Time, injected: the service, stats and rate limits ask a Clock, so tests can freeze it."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time as a naive UTC datetime (how it is stored)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for TTLs and rate windows)."""


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)

    def monotonic(self) -> float:
        # Wall-clock seconds, not time.monotonic(): cache and rate state is shared across
        # processes and hosts, so every process must count from the same epoch.
        return time.time()


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start.replace(tzinfo=None)

    def now(self) -> dt.datetime:
        return self._now

    def monotonic(self) -> float:
        return self._now.replace(tzinfo=dt.timezone.utc).timestamp()

    def advance(self, seconds: float) -> None:
        self._now += dt.timedelta(seconds=seconds)


def format_datetime(value: dt.datetime | None) -> str | None:
    """The spec's ``Y-m-d H:i:s``."""
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None
