"""SIGTERM during a session: a service manager or `timeout`, not a person on the mat. The session
ends at once, without the guided exit, its history row finished as "terminated"; then
SessionTerminated (exit code 143, 128 + 15 by the shells' convention)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from coach.errors import CoachError


class SessionTerminated(CoachError):
    """The session was ended by SIGTERM (its history row is finished first). `unfinished`: a clip was
    still being rendered for the cache (in native code) and was not waited for: the process should
    leave with os._exit, as an interpreter exit would tear the engine down under it and abort."""

    exit_code = 143

    def __init__(self, unfinished: bool = False) -> None:
        super().__init__("terminated (SIGTERM)")
        self.unfinished = unfinished


class Terminate(KeyboardInterrupt):
    """Raised by the SIGTERM handler: the player stops the sound first, as for Ctrl-C."""


class SigTerm:
    """SIGTERM during the session: the sound stopped, the terminal restored, the history row finished,
    no guided exit. Only the first signal raises, and only while armed: a later one must not cut the
    history's last write."""

    def __init__(self) -> None:
        self._received = False
        self._armed = False

    def received(self) -> bool:
        return self._received

    def disarm(self) -> None:
        self._armed = False

    def _handle(self, signum: int, frame: object) -> None:
        first = not self._received
        self._received = True
        if first and self._armed:
            raise Terminate

    @contextmanager
    def handled(self) -> Iterator[None]:
        old = signal.signal(signal.SIGTERM, self._handle)
        self._armed = True
        try:
            yield
        finally:
            self._armed = False
            signal.signal(signal.SIGTERM, old)
