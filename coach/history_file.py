"""The history's SQLite file: its numbered schema migrations, and what to do with a file that is damaged.

A file is looked at read-only before anything writes to it: one that is not a database, has corrupt
pages (PRAGMA quick_check) or a schema this version does not know is moved aside, kept under a dated
name with its -wal/-journal beside it, and a new one is started. A file from a newer version of coach
(a higher PRAGMA user_version) is neither changed nor moved: HistoryTooNew.

Schema changes are migrations: MIGRATIONS[n - 1] takes a file from user_version n - 1 to n, inside one
transaction with the version bump, so two processes opening the file at once migrate it once.
Migration 1 is the schema as coach wrote it before versions (such files say user_version 0); migration 2
adds what progression needs (exercises, options, where it ended, a rating).
"""

from __future__ import annotations

import functools
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from coach.errors import CoachError

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (   # 1: the sessions table as coach wrote it before the schema had a version
        """CREATE TABLE IF NOT EXISTS sessions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            routine TEXT NOT NULL,
            mode TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            outcome TEXT,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS sessions_started ON sessions(started_at)",
    ),
    (   # 2: what was done, with which options, where it ended, and how it felt (coach.progression reads it).
        # `reached` stays NULL on older rows: nobody knows how far they got, so the daily limit counts them.
        "ALTER TABLE sessions ADD COLUMN exercises TEXT",      # JSON: [{"name": ..., "hold_s": ...}, ...]
        "ALTER TABLE sessions ADD COLUMN options TEXT",        # JSON: {"verbosity": ..., "hold_scale": ...}
        "ALTER TABLE sessions ADD COLUMN reached INTEGER",     # index of the exercise under way at the end
        "ALTER TABLE sessions ADD COLUMN rating TEXT",         # easier, right or harder (coach.vocab.RATINGS)
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_SQLITE_HEADER = b"SQLite format 3\x00"
_SETUP_WAIT_S = 10.0
_SIDE_FILES = ("-wal", "-journal", "-shm")


class HistoryError(CoachError):
    """The history cannot be used (a folder that cannot be written, a file that cannot be moved aside)."""


class HistoryTooNew(HistoryError):
    """The file was written by a newer coach: left exactly as it is."""


@dataclass(frozen=True)
class Damage:
    reason: str


def unusable(path: Path, exc: BaseException | str) -> HistoryError:
    why = exc if isinstance(exc, str) else (getattr(exc, "strerror", None) or str(exc))
    return HistoryError(f"cannot open the session history at {path} ({why}); "
                        f"set --history-db or COACH_HISTORY_DB to a writable file")


def too_new(path: Path, version: int) -> HistoryTooNew:
    return HistoryTooNew(f"the session history {path} was written by a newer coach (schema version {version}; "
                         f"this one knows up to {SCHEMA_VERSION}) and is left untouched; upgrade coach, or set "
                         f"--history-db or COACH_HISTORY_DB to another file")


def is_damage(exc: sqlite3.Error) -> bool:
    """Damage to the file (as opposed to a lock, a full disk or a folder that cannot be written)."""
    text = str(exc).lower()
    if any(s in text for s in ("malformed", "not a database", "no such table", "no such column")):
        return True
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError)


@functools.cache
def known_columns(version: int) -> dict[str, tuple[str, ...]]:
    """table -> columns, as the migrations up to `version` leave a new file."""
    with _closing(sqlite3.connect(":memory:")) as conn:
        for migration in MIGRATIONS[:max(version, 1)]:
            for statement in migration:
                conn.execute(statement)
        return _columns(conn)


def _columns(conn: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    names = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {name: tuple(row[1] for row in conn.execute(f"PRAGMA table_info('{name}')"))
            for name in names if name != "sqlite_sequence"}


def inspect(path: Path) -> Damage | None:
    """Look at an existing file without changing it. None: usable (or missing, or empty: a new one).
    Raises HistoryTooNew for a newer schema, HistoryError when it cannot be read at all."""
    try:
        with open(path, "rb") as f:
            header = f.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise unusable(path, exc) from None
    if not header:
        return None
    if header != _SQLITE_HEADER:
        return Damage("not an SQLite database")
    try:
        # Read-only: nothing is written, not even a WAL checkpoint on close.
        with _closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=10)) as conn:
            conn.execute("PRAGMA busy_timeout=10000")
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise too_new(path, version)
            problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
            if problems != ["ok"]:
                found_lines = [line for p in problems for line in p.splitlines() if not line.startswith("***")]
                return Damage(f"corrupt pages: {(found_lines or problems)[0]}")
            found = _columns(conn)
    except sqlite3.Error as exc:
        if is_damage(exc):
            return Damage(str(exc))
        raise unusable(path, exc) from None
    # Before versions (0), a file holds no table yet or migration 1's; afterwards, what its migrations make.
    if found and found != known_columns(version):
        shown = "; ".join(f"{t}({', '.join(c)})" for t, c in sorted(found.items()))
        return Damage(f"a schema this version does not know: {shown}")
    return None


def move_aside(path: Path, damage: Damage) -> str:
    """Rename the file (and its -wal/-journal/-shm) to NAME.damaged-YYYYMMDDTHHMM; returns the notice."""
    stamp = datetime.now().strftime("%Y%m%dT%H%M")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 2
    while any(Path(f"{target}{s}").exists() for s in ("",) + _SIDE_FILES):
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
        n += 1
    try:
        # The side files first: a new file at `path` must never meet the old one's write-ahead log.
        for suffix in _SIDE_FILES:
            side = Path(f"{path}{suffix}")
            if side.exists():
                os.rename(side, f"{target}{suffix}")
        os.rename(path, target)
    except OSError as exc:
        raise HistoryError(f"the session history {path} is unreadable ({damage.reason}) and cannot be moved aside "
                           f"({exc.strerror}); move it away yourself, or set --history-db or COACH_HISTORY_DB "
                           f"to another file") from None
    return (f"the session history {path} was unreadable ({damage.reason}); it is kept as {target.name} "
            f"and a new one is started")


def connect(path: Path) -> sqlite3.Connection:
    """A connection to a usable file, migrated to SCHEMA_VERSION. Raises HistoryTooNew, HistoryError,
    or sqlite3.DatabaseError when the file turns out damaged on use."""
    deadline = time.monotonic() + _SETUP_WAIT_S
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=10, isolation_level=None)
            try:
                conn.execute("PRAGMA busy_timeout=10000")
                conn.execute("PRAGMA journal_mode=WAL")
                _migrate(conn, path)
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
            if is_damage(exc):
                raise
            raise unusable(path, exc) from None
        except sqlite3.DatabaseError:
            raise
        except (sqlite3.Error, OSError) as exc:
            raise unusable(path, exc) from None


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")   # one process migrates; the others then find the new version
    try:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise too_new(path, version)
        for number in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[number - 1]:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


class _closing:
    """contextlib.closing, typed for sqlite3 connections."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *exc: object) -> None:
        self.conn.close()
