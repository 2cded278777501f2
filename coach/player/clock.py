"""The session clock: monotonic milliseconds, and a wait for an absolute deadline that a command can cut short.
Injectable, so the deadline loop runs in tests without waiting."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> float: ...

    def sleep_until(self, deadline_ms: float, wake: threading.Event) -> bool:
        """Sleep until now_ms() >= deadline_ms (True) or until wake is set (False, at once if set)."""
        ...


class MonotonicClock:
    def now_ms(self) -> float:
        return time.monotonic_ns() / 1e6

    def sleep_until(self, deadline_ms: float, wake: threading.Event) -> bool:
        while not wake.is_set():
            remaining_ms = deadline_ms - self.now_ms()
            if remaining_ms <= 0:
                return True
            # Capped: Event.wait rejects an infinite timeout (a pause waits "forever").
            if wake.wait(min(remaining_ms / 1000, 3600.0)):
                break
        return False
