"""Session history in a real SQLite file: a row when a session starts, updated when it ends.

A session killed outright never updates its row; such a row is reported as interrupted once its
process is gone. WAL mode and a busy timeout let two sessions write at once without losing a row.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from coach.errors import CoachError
from coach.vocab import ENDINGS as OUTCOMES

_SETUP_WAIT_S = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    routine TEXT NOT NULL,
    mode TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    outcome TEXT,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_started ON sessions(started_at);
"""


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
    env = os.environ.get("COACH_HISTORY_DB")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("coach")) / "history.sqlite"


class History:
    def __init__(self, path: Path):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        deadline = time.monotonic() + _SETUP_WAIT_S
        while True:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
                try:
                    conn.execute("PRAGMA busy_timeout=10000")
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.executescript(_SCHEMA)
                except BaseException:
                    conn.close()
                    raise
                return conn
            except sqlite3.OperationalError as exc:
                # Two processes creating the file at once: switching it to WAL can fail with "locked"
                # without waiting on the busy timeout. Seen under load; retrying is enough.
                if "locked" in str(exc) and time.monotonic() < deadline:
                    time.sleep(0.02)
                    continue
                raise self._unusable(exc) from None
            except (sqlite3.Error, OSError) as exc:
                raise self._unusable(exc) from None

    def _unusable(self, exc: Exception) -> CoachError:
        return CoachError(f"cannot open the session history at {self.path} ({exc}); "
                          f"set --history-db or COACH_HISTORY_DB to a writable file")

    def start(self, routine: str, mode: str) -> int:
        with closing(self._connect()) as conn:
            cur = conn.execute(
                "INSERT INTO sessions (routine, mode, started_at, pid, host) VALUES (?, ?, ?, ?, ?)",
                (routine, mode, _now(), os.getpid(), socket.gethostname()))
            assert cur.lastrowid is not None  # an INSERT always sets it
            return cur.lastrowid

    def end(self, session_id: int, outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        with closing(self._connect()) as conn:
            conn.execute("UPDATE sessions SET ended_at = ?, outcome = ? WHERE id = ?", (_now(), outcome, session_id))

    def rows(self, limit: int | None = None) -> list[SessionRow]:
        with closing(self._connect()) as conn:
            query = "SELECT id, routine, mode, started_at, ended_at, outcome, pid, host FROM sessions ORDER BY id DESC"
            found = conn.execute(query + (f" LIMIT {int(limit)}" if limit else "")).fetchall()
        out = []
        for id_, routine, mode, started, ended, outcome, pid, host in found:
            if outcome is None:
                outcome = "running" if _alive(pid, host) else "interrupted"
            out.append(SessionRow(id_, routine, mode, started, ended, outcome))
        return out

    def starts_today(self, routine: str) -> int:
        """How many times this routine was started today (local date), this start not included."""
        today = _now()[:10]
        with closing(self._connect()) as conn:
            (count,) = conn.execute("SELECT COUNT(*) FROM sessions WHERE routine = ? AND substr(started_at, 1, 10) = ?",
                                    (routine, today)).fetchone()
        return int(count)
