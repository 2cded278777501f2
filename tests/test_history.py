"""Session history in a real SQLite file: killed sessions, concurrent writers, daily counts."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from coach.errors import CoachError
from coach.history import History
from coach.history_file import SCHEMA_VERSION


def test_a_session_row_is_written_at_start_and_updated_at_end(tmp_path):
    history = History(tmp_path / "h.sqlite")
    first = history.start("child-pose", "play")
    assert history.rows()[0].outcome == "running"   # this process is alive
    history.end(first, "completed")
    second = history.start("cat-cow", "live")
    history.end(second, "safety-stop")
    rows = history.rows()
    assert [(r.routine, r.mode, r.outcome) for r in rows] == [("cat-cow", "live", "safety-stop"),
                                                              ("child-pose", "play", "completed")]
    assert rows[1].ended_at is not None and rows[1].started_at <= rows[1].ended_at


def test_a_killed_session_shows_as_interrupted(tmp_path):
    db = tmp_path / "h.sqlite"
    code = ("import sys, time\nfrom pathlib import Path\nfrom coach.history import History\n"
            f"History(Path({str(db)!r})).start('child-pose', 'play')\nprint('started', flush=True)\ntime.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "started"
    assert History(db).rows()[0].outcome == "running"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert History(db).rows()[0].outcome == "interrupted"


def test_two_sessions_writing_at_once_both_land(tmp_path):
    db = tmp_path / "h.sqlite"
    code = ("import sys\nfrom pathlib import Path\nfrom coach.history import History\n"
            f"h = History(Path({str(db)!r}))\n"
            "for i in range(40):\n    h.end(h.start(sys.argv[1], 'play'), 'completed')\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, name]) for name in ("child-pose", "cat-cow")]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    rows = History(db).rows()
    assert len(rows) == 80
    assert sum(r.routine == "cat-cow" for r in rows) == 40 and all(r.outcome == "completed" for r in rows)


def test_starts_today_counts_only_that_routine(tmp_path):
    history = History(tmp_path / "h.sqlite")
    for _ in range(3):
        history.start("child-pose", "play")
    history.start("cat-cow", "play")
    assert history.starts_today("child-pose") == 3 and history.starts_today("cat-cow") == 1


def test_an_unusable_database_path_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CoachError, match="cannot open the session history .* COACH_HISTORY_DB"):
        History(blocker / "h.sqlite").start("child-pose", "play")


# -- schema versions ----------------------------------------------------------------------------------

LANDED = Path(__file__).parent / "fixtures" / "history-landed.sqlite"
# Written by the history writer of commit 4316e73 (before schema versions: user_version 0), in WAL mode:
# sessions ended completed, safety-stop, quit, interrupted, and one never ended.


def raw_rows(path: Path) -> list[tuple]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute("SELECT id, routine, mode, started_at, ended_at, outcome, pid, host FROM sessions "
                            "ORDER BY id").fetchall()


def test_migration_1_adopts_a_file_the_previous_version_wrote_and_loses_no_row(tmp_path):
    db = tmp_path / "history.sqlite"
    shutil.copy(LANDED, db)
    before = raw_rows(db)
    assert len(before) == 5
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (0,)
    history = History(db)
    rows = history.rows()
    assert [(r.id, r.routine, r.mode, r.started_at, r.ended_at) for r in reversed(rows)] == [r[:5] for r in before]
    assert [r.outcome for r in reversed(rows)][:4] == ["completed", "safety-stop", "quit", "interrupted"]
    assert history.notes == []
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    new = history.start("cat-cow", "play")
    history.end(new, "completed")
    assert raw_rows(db)[:5] == before and len(raw_rows(db)) == 6


def test_every_migration_runs_once_even_when_two_processes_open_a_new_file(tmp_path):
    db = tmp_path / "h.sqlite"
    code = ("import sys\nfrom pathlib import Path\nfrom coach.history import History\n"
            f"History(Path({str(db)!r})).start('child-pose', 'play')\n")
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(3)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    assert len(History(db).rows()) == 3


def test_a_file_damaged_during_a_session_still_gets_the_whole_row(tmp_path):
    db = tmp_path / "h.sqlite"
    history = History(db)
    session = history.start("child-pose", "play")
    for side in ("-wal", "-shm"):
        Path(f"{db}{side}").unlink(missing_ok=True)
    db.write_bytes(b"\x00garbage" * 1000)      # not even a database any more
    history.end(session, "safety-stop")
    assert len(history.notes) == 1 and "not a database" in history.notes[0]
    (row,) = History(db).rows()
    assert (row.routine, row.outcome) == ("child-pose", "safety-stop") and row.ended_at is not None
