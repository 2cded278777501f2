"""Session history in a real SQLite file: a row when a session starts, updated when it ends.

A session killed outright never updates its row; such a row is reported as interrupted once its
process is gone. WAL mode and a busy timeout let two sessions write at once without losing a row.
The history survives damage (coach.history_file): an unreadable file is moved aside and a new one
started, and `History.notes` says so for the caller to show.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from coach import history_file as hf
from coach.history_file import HistoryError, HistoryTooNew
from coach.vocab import ENDINGS as OUTCOMES

__all__ = ["History", "HistoryError", "HistoryTooNew", "SessionRow", "default_history_path"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class SessionRow:
    id: int
    routine: str
    mode: str
    started_at: str
    ended_at: str | None
    outcome: str   # one of OUTCOMES, or "running"

    def to_json(self) -> dict:
        return {"id": self.id, "routine": self.routine, "mode": self.mode, "started_at": self.started_at,
                "ended_at": self.ended_at, "outcome": self.outcome}


def _now() -> str:
    # Local time with its offset: "today" for the daily limit is the user's day, not UTC's.
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _alive(pid: int, host: str) -> bool:
    if host != socket.gethostname():
        return True  # cannot tell from here; keep it "running"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def default_history_path() -> Path:
    from coach import settings

    return settings.history_path()


class History:
    """The history file at `path`. Raises HistoryTooNew (a newer coach's file, left untouched) and
    HistoryError (cannot be created or used); a damaged file is replaced, with a line in `notes`."""

    def __init__(self, path: Path):
        self.path = path
        self.notes: list[str] = []     # what happened to the file, for the person (a file moved aside)
        self._checked = False
        self._started: dict[int, tuple] = {}   # id -> the row start() wrote: end() writes it again if lost

    def start(self, routine: str, mode: str) -> int:
        row = (routine, mode, _now(), os.getpid(), socket.gethostname())
        session_id = self._use(lambda conn: _insert(conn, row))
        self._started[session_id] = row
        return session_id

    def end(self, session_id: int, outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")

        def finish(conn: sqlite3.Connection) -> None:
            ended = _now()
            cur = conn.execute("UPDATE sessions SET ended_at = ?, outcome = ? WHERE id = ?",
                               (ended, outcome, session_id))
            if cur.rowcount == 0 and session_id in self._started:
                # The file was replaced during the session (moved aside as damaged): the row again, whole.
                routine, mode, started, pid, host = self._started[session_id]
                conn.execute("INSERT INTO sessions (routine, mode, started_at, ended_at, outcome, pid, host) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)", (routine, mode, started, ended, outcome, pid, host))

        self._use(finish)

    def rows(self, limit: int | None = None) -> list[SessionRow]:
        if not self._exists():
            return []   # reading creates nothing
        query = "SELECT id, routine, mode, started_at, ended_at, outcome, pid, host FROM sessions ORDER BY id DESC"
        found = self._use(lambda conn: conn.execute(query + (f" LIMIT {int(limit)}" if limit else "")).fetchall())
        out = []
        for id_, routine, mode, started, ended, outcome, pid, host in found:
            if outcome is None:
                outcome = "running" if _alive(pid, host) else "interrupted"
            out.append(SessionRow(id_, routine, mode, started, ended, outcome))
        return out

    def starts_today(self, routine: str) -> int:
        """How many times this routine was started today (local date), this start not included."""
        if not self._exists():
            return 0
        today = _now()[:10]
        (count,) = self._use(lambda conn: conn.execute(
            "SELECT COUNT(*) FROM sessions WHERE routine = ? AND substr(started_at, 1, 10) = ?",
            (routine, today)).fetchone())
        return int(count)

    def _exists(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise hf.unusable(self.path, exc) from None

    def _use(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """work(connection) on a usable file; damage found on the way (before, or by an error on use)
        moves the file aside and the work is done once more on a new one."""
        if not self._checked:
            damage = hf.inspect(self.path)
            if damage is not None:
                self.notes.append(hf.move_aside(self.path, damage))
            self._checked = True
        try:
            with closing(hf.connect(self.path)) as conn:
                return work(conn)
        except sqlite3.DatabaseError as exc:
            if not hf.is_damage(exc):
                raise hf.unusable(self.path, exc) from None
            self.notes.append(hf.move_aside(self.path, hf.Damage(str(exc))))
        try:
            with closing(hf.connect(self.path)) as conn:
                return work(conn)
        except sqlite3.Error as exc:
            raise hf.unusable(self.path, exc) from None


def _insert(conn: sqlite3.Connection, row: tuple) -> int:
    cur = conn.execute("INSERT INTO sessions (routine, mode, started_at, pid, host) VALUES (?, ?, ?, ?, ?)", row)
    assert cur.lastrowid is not None  # an INSERT always sets it
    return cur.lastrowid
