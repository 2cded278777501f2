"""Progress (coach.stats, `coach stats`, the summary atop `coach history`) from a real SQLite history."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from coach.history import History, SessionRow
from coach.stats import bar_chart, session_minutes, summarize
from support import run_coach

TODAY = date(2026, 11, 19)   # a Thursday


def row(day: date, routine: str = "child-pose", minutes: float | None = 10, outcome: str = "completed",
        hour: int = 8) -> SessionRow:
    start = datetime(day.year, day.month, day.day, hour, 0).astimezone()
    end = None if minutes is None else (start + timedelta(minutes=minutes)).isoformat(timespec="seconds")
    return SessionRow(0, routine, "play", start.isoformat(timespec="seconds"), end, outcome)


def test_week_streak_and_top_routines():
    rows = [
        row(TODAY, "morning-back", 12),
        row(TODAY - timedelta(days=1), "morning-back", 11),
        row(TODAY - timedelta(days=2), "child-pose", 3),
        row(TODAY - timedelta(days=2), "child-pose", 0.5, "quit"),  # a short quit counts as a session
        row(TODAY - timedelta(days=4), "desk-break", 6),             # a gap: Sunday 15th breaks nothing past it
        row(TODAY - timedelta(days=8), "morning-back", 12),          # last week
        row(TODAY - timedelta(days=3), "cat-cow", None, "interrupted"),   # killed: no end, no minutes
    ]
    s = summarize(rows, TODAY, days=14)
    assert s.week_sessions == 5            # Monday 16th to Thursday 19th
    assert s.week_minutes == pytest.approx(12 + 11 + 3 + 0.5)
    assert s.streak_days == 3              # 17, 18, 19; the 16th had only a killed session
    assert s.top_routines == (("morning-back", 3), ("child-pose", 1), ("desk-break", 1))
    assert len(s.days) == 14 and s.days[-1].day == TODAY and s.days[-1].minutes == 12
    assert s.days[-3].sessions == 2 and s.days[-3].minutes == pytest.approx(3.5)
    assert s.to_json()["week"] == {"sessions": 5, "minutes": 26.5}


def test_the_streak_is_alive_until_the_day_ends_and_killed_sessions_count_no_time():
    rows = [row(TODAY - timedelta(days=1)), row(TODAY - timedelta(days=2))]
    assert summarize(rows, TODAY).streak_days == 2            # not yet today: still a streak
    assert summarize(rows, TODAY + timedelta(days=1)).streak_days == 0
    assert session_minutes(row(TODAY, minutes=None, outcome="interrupted")) == 0
    assert session_minutes(row(TODAY, minutes=60 * 24 * 3)) == 180     # left running for days


def test_the_chart_scales_to_the_best_day():
    s = summarize([row(TODAY, minutes=20), row(TODAY - timedelta(days=1), minutes=5)], TODAY, days=7)
    bars, initials = bar_chart(s.days)
    assert bars.endswith("▂▂██") and bars.startswith("  ")   # two columns a day; idle days blank
    assert initials.split() == ["F", "S", "S", "M", "T", "W", "T"]


@pytest.fixture
def history_db(tmp_path) -> Path:
    """A real history file: a few sessions through History, then their dates moved into the past."""
    path = tmp_path / "history.sqlite"
    history = History(path)
    today = date.today()
    for back, routine, minutes in ((0, "morning-back", 12), (1, "morning-back", 11), (2, "child-pose", 4)):
        sid = history.start(routine, "play")
        history.end(sid, "completed")
        start = datetime.combine(today - timedelta(days=back), datetime.min.time()).replace(hour=7).astimezone()
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE sessions SET started_at = ?, ended_at = ? WHERE id = ?",
                         (start.isoformat(timespec="seconds"),
                          (start + timedelta(minutes=minutes)).isoformat(timespec="seconds"), sid))
    return path


def test_stats_and_history_show_the_summary(history_db, tmp_path):
    env = {"COACH_HISTORY_DB": str(history_db)}
    data = json.loads(run_coach("stats", "--json", env=env).stdout)
    assert data["streak_days"] == 3
    assert data["top_routines"][0] == {"routine": "morning-back", "sessions": 2}
    assert data["days"][-1] == {"date": date.today().isoformat(), "sessions": 1, "minutes": 12.0}
    text = run_coach("history", env=env).stdout
    assert "Streak: 3 days" in text and "Done most: morning-back (2), child-pose (1)" in text
    assert "█" in text and "ROUTINE" in text     # the chart, then the table
    assert isinstance(json.loads(run_coach("history", "--json", env=env).stdout), list)   # unchanged shape


def test_stats_plot_writes_a_valid_png_and_svg(history_db, tmp_path):
    from PIL import Image

    env = {"COACH_HISTORY_DB": str(history_db)}
    png = tmp_path / "progress.png"
    result = run_coach("stats", "--plot", str(png), "--days", "21", env=env)
    assert result.returncode == 0, result.stderr
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size == (800, 300)
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or ()) > 2   # something drawn, not a blank canvas
    svg = tmp_path / "progress.svg"
    assert run_coach("stats", "--plot", str(svg), env=env).returncode == 0
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 10
    assert not list(tmp_path.glob("*.tmp"))


def test_stats_plot_refuses_other_formats_and_missing_folders_in_one_line(history_db, tmp_path):
    env = {"COACH_HISTORY_DB": str(history_db)}
    bad = run_coach("stats", "--plot", str(tmp_path / "x.gif"), env=env)
    assert bad.returncode == 2 and "as .png or .svg" in bad.stderr and "Traceback" not in bad.stderr
    missing = run_coach("stats", "--plot", str(tmp_path / "nope" / "x.png"), env=env)
    assert missing.returncode != 0 and "cannot write" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
