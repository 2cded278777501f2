"""Session history in a real SQLite file: killed sessions, concurrent writers, daily counts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from coach.errors import CoachError
from coach.history import History


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
