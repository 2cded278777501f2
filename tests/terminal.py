"""Run a command on a pseudo-terminal that is its controlling terminal (so keys, ^C and isatty() are
real), and read what it shows."""

from __future__ import annotations

import os
import re
import select
import subprocess
import termios
import time


def start_on_a_terminal(cmd: list[str], env: dict[str, str], stderr=subprocess.PIPE):
    """(process, master fd, slave fd). Close both fds when done."""
    master, slave = os.openpty()

    def become_terminal_owner() -> None:
        import fcntl

        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=stderr, env=env, start_new_session=True,
                            preexec_fn=become_terminal_owner)
    return proc, master, slave


def read_until(master: int, pattern: str, timeout_s: float = 20.0) -> str:
    """Everything shown so far, once `pattern` (a regex) has appeared; AssertionError if it never does."""
    seen = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
            if re.search(pattern, seen.decode(errors="replace")):
                return seen.decode(errors="replace")
    raise AssertionError(f"never saw {pattern!r} in {seen.decode(errors='replace')!r}")
