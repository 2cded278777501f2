"""Session history in a real SQLite file: a row when a session starts, updated when it ends.

A session killed outright never updates its row; such a row is reported as interrupted once its
process is gone. WAL mode and a busy timeout let two sessions write at once without losing a row.
The history survives damage (coach.history_file): an unreadable file is moved aside and a new one
started, and `History.notes` says so for the caller to show.
"""

from __future__ import annotations

import json
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
from coach.vocab import RATINGS

__all__ = ["Done", "History", "HistoryError", "HistoryTooNew", "SessionRow", "default_history_path"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class Done:
    """One exercise of a session as it was played: its name and the holds, breaths and repetitions
    its routine gave it (None: as the exercise's script has it)."""

    name: str
    hold_s: int | None = None
    breaths: int | None = None
    reps: int | None = None

    def to_json(self) -> dict:
        return {k: v for k, v in (("name", self.name), ("hold_s", self.hold_s), ("breaths", self.breaths),
                                  ("reps", self.reps)) if v is not None}

    @classmethod
    def from_json(cls, data: object) -> Done | None:
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            return None
        numbers = {k: data.get(k) for k in ("hold_s", "breaths", "reps")}
        return cls(data["name"], **{k: v if isinstance(v, int) and not isinstance(v, bool) else None
                                    for k, v in numbers.items()})


@dataclass(frozen=True)
class SessionRow:
    id: int
    routine: str
    mode: str
    started_at: str
    ended_at: str | None
    outcome: str   # one of OUTCOMES, or "running"
    exercises: tuple[Done, ...] = ()       # empty for sessions recorded before schema 2
    options: tuple[tuple[str, object], ...] = ()   # verbosity, hold_scale, breath_scale
    reached: int | None = None             # index of the exercise under way when it ended; None: not known
    rating: str | None = None              # one of RATINGS, when the person answered

    @property
    def ended_in(self) -> str | None:
        """The exercise under way when it ended, when known."""
        if self.reached is None or not 0 <= self.reached < len(self.exercises):
            return None
        return self.exercises[self.reached].name

    def to_json(self) -> dict:
        return {"id": self.id, "routine": self.routine, "mode": self.mode, "started_at": self.started_at,
                "ended_at": self.ended_at, "outcome": self.outcome,
                "exercises": [e.to_json() for e in self.exercises], "options": dict(self.options),
                "ended_in": self.ended_in, "rating": self.rating}


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

    def start(self, routine: str, mode: str, exercises: tuple[Done, ...] = (),
              options: dict[str, object] | None = None) -> int:
        row = (routine, mode, _now(), os.getpid(), socket.gethostname(),
               json.dumps([e.to_json() for e in exercises]), json.dumps(options or {}),
               # How far it gets is known only for a session that says what it does; others count as run.
               0 if exercises else None)
        session_id = self._use(lambda conn: _insert(conn, row))
        self._started[session_id] = row
        return session_id

    def end(self, session_id: int, outcome: str, reached: int | None = None) -> None:
        """reached: the index of the exercise under way when it ended (None: leave it as it is)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")

        def finish(conn: sqlite3.Connection) -> None:
            ended = _now()
            cur = conn.execute("UPDATE sessions SET ended_at = ?, outcome = ?, reached = coalesce(?, reached) "
                               "WHERE id = ?", (ended, outcome, reached, session_id))
            if cur.rowcount == 0 and session_id in self._started:
                # The file was replaced during the session (moved aside as damaged): the row again, whole.
                routine, mode, started, pid, host, done, options, started_reached = self._started[session_id]
                conn.execute("INSERT INTO sessions (routine, mode, started_at, ended_at, outcome, pid, host, "
                             "exercises, options, reached) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (routine, mode, started, ended, outcome, pid, host, done, options,
                              reached if reached is not None else started_reached))

        self._use(finish)

    def rate(self, session_id: int, rating: str) -> None:
        if rating not in RATINGS:
            raise ValueError(f"unknown rating {rating!r}")
        self._use(lambda conn: conn.execute("UPDATE sessions SET rating = ? WHERE id = ?", (rating, session_id)))

    def rows(self, limit: int | None = None) -> list[SessionRow]:
        if not self._exists():
            return []   # reading creates nothing
        query = ("SELECT id, routine, mode, started_at, ended_at, outcome, pid, host, exercises, options, reached, "
                 "rating FROM sessions ORDER BY id DESC")
        found = self._use(lambda conn: conn.execute(query + (f" LIMIT {int(limit)}" if limit else "")).fetchall())
        out = []
        for id_, routine, mode, started, ended, outcome, pid, host, done, options, reached, rating in found:
            if outcome is None:
                outcome = "running" if _alive(pid, host) else "interrupted"
            out.append(SessionRow(id_, routine, mode, started, ended, outcome, _exercises(done), _options(options),
                                  reached, rating if rating in RATINGS else None))
        return out

    def sessions_today(self, routine: str) -> int:
        """How many sessions of this routine ran today (local date): completed, or past the first
        exercise. A start quit within the first exercise is not a session; a row that does not say how
        far it got (from before schema 2, or recorded without its exercises) is counted."""
        if not self._exists():
            return 0
        today = _now()[:10]
        (count,) = self._use(lambda conn: conn.execute(
            "SELECT COUNT(*) FROM sessions WHERE routine = ? AND substr(started_at, 1, 10) = ? "
            "AND (outcome = 'completed' OR reached IS NULL OR reached >= 1)", (routine, today)).fetchone())
        return int(count)

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


def _exercises(text: str | None) -> tuple[Done, ...]:
    try:
        data = json.loads(text) if text else []
    except ValueError:
        return ()   # a value this version cannot read is history without detail, not an error
    found = [Done.from_json(d) for d in data] if isinstance(data, list) else []
    return tuple(d for d in found if d is not None)


def _options(text: str | None) -> tuple[tuple[str, object], ...]:
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return ()
    return tuple(sorted(data.items())) if isinstance(data, dict) else ()


def _insert(conn: sqlite3.Connection, row: tuple) -> int:
    cur = conn.execute("INSERT INTO sessions (routine, mode, started_at, pid, host, exercises, options, reached) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
    assert cur.lastrowid is not None  # an INSERT always sets it
    return cur.lastrowid
