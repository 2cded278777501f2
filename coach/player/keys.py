"""Single-key control from a terminal, without Enter: space pause/resume, n next, p repeat, q quit,
s safety stop. Without a terminal on stdin nothing is read.

The terminal goes into cbreak mode (no line buffering, no echo; Ctrl-C still interrupts) only inside
the `with` block, and is restored on the way out whatever happens.
"""

from __future__ import annotations

import os
import select
import sys
import threading
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TextIO

KEY_COMMANDS = {
    " ": "toggle-pause",
    "n": "next",
    "p": "repeat",
    "q": "quit",
    "s": "safety-stop",
    # Ctrl-C arrives as this byte: while keys are read, the terminal sends no SIGINT (ISIG is off),
    # so stopping never depends on which thread a signal lands on (under load one was lost).
    "\x03": "interrupt",
}
KEY_HELP = "space pause/resume, n next step, p repeat step, q quit, s safety stop"
_POLL_S = 0.1   # how often the reader looks whether it should stop


def command_for_key(key: str) -> str | None:
    return KEY_COMMANDS.get(key.lower())


class KeyReader:
    """Reads keys on a thread and calls on_command(name) for each mapped key, while in the block.
    table: key -> name (default KEY_COMMANDS, the session's controls)."""

    def __init__(self, on_command: Callable[[str], None], stream: TextIO | None = None,
                 table: Mapping[str, str] = KEY_COMMANDS):
        self._on_command = on_command
        self._table = table
        self._stream = stream if stream is not None else sys.stdin
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._saved_attrs: list | None = None
        self._fd = -1

    @property
    def active(self) -> bool:
        return self._thread is not None

    def __enter__(self) -> KeyReader:
        try:
            self._fd = self._stream.fileno()
            interactive = os.isatty(self._fd)
        except (AttributeError, ValueError, OSError):
            interactive = False
        if not interactive:
            return self
        import termios
        import tty

        self._saved_attrs = termios.tcgetattr(self._fd)
        tty.setcbreak(self._fd)
        attrs = termios.tcgetattr(self._fd)
        attrs[3] &= ~termios.ISIG
        termios.tcsetattr(self._fd, termios.TCSANOW, attrs)
        self._thread = threading.Thread(target=self._read, name="coach-keys", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        try:
            if self._thread is not None:
                self._thread.join(2 * _POLL_S + 1)
        finally:
            if self._saved_attrs is not None:
                import termios

                termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved_attrs)
                self._saved_attrs = None
            self._thread = None

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._fd], [], [], _POLL_S)
                if not ready:
                    continue
                data = os.read(self._fd, 32)
            except OSError:
                return  # the terminal went away: no more keys
            if not data:
                return
            for key in data.decode("utf-8", errors="ignore"):
                name = self._table.get(key.lower())
                if name is not None:
                    self._on_command(name)
