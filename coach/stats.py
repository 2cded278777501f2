"""Progress from the session history: this week, the streak of days, the routines done most, and
minutes per day. Pure: rows in, frozen data out; drawing is coach.stats_plot's and the CLI's job."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable

from coach.history import SessionRow

MAX_SESSION_MIN = 180.0     # a session left "running" for days is not days of stretching
STREAK_MIN_MINUTES = 1.0    # a day counts towards the streak with a completed session or this much time
TOP_ROUTINES = 3
BARS = " ▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class DayTotal:
    day: date
    sessions: int
    minutes: float


@dataclass(frozen=True)
class Summary:
    today: date
    week_sessions: int          # since Monday, today included
    week_minutes: float
    streak_days: int            # days in a row with practice, up to today (or yesterday, if not yet today)
    top_routines: tuple[tuple[str, int], ...]   # (routine, sessions), most first
    days: tuple[DayTotal, ...]  # the last days, oldest first, today last

    def to_json(self) -> dict:
        return {
            "today": self.today.isoformat(),
            "week": {"sessions": self.week_sessions, "minutes": round(self.week_minutes, 1)},
            "streak_days": self.streak_days,
            "top_routines": [{"routine": r, "sessions": n} for r, n in self.top_routines],
            "days": [{"date": d.day.isoformat(), "sessions": d.sessions, "minutes": round(d.minutes, 1)}
                     for d in self.days],
        }


def session_minutes(row: SessionRow) -> float:
    """How long a session ran; 0 when it never recorded an end (killed, or still running)."""
    if row.ended_at is None:
        return 0.0
    seconds = (datetime.fromisoformat(row.ended_at) - datetime.fromisoformat(row.started_at)).total_seconds()
    return min(max(seconds / 60.0, 0.0), MAX_SESSION_MIN)


def summarize(rows: Iterable[SessionRow], today: date, days: int = 28) -> Summary:
    by_day: dict[date, list[SessionRow]] = {}
    for row in rows:
        by_day.setdefault(datetime.fromisoformat(row.started_at).date(), []).append(row)

    def practised(day: date) -> bool:
        return any(r.outcome == "completed" or session_minutes(r) >= STREAK_MIN_MINUTES
                   for r in by_day.get(day, ()))

    streak = 0
    day = today if practised(today) else today - timedelta(days=1)
    while practised(day):
        streak += 1
        day -= timedelta(days=1)

    monday = today - timedelta(days=today.weekday())
    week = [r for d, rs in by_day.items() if monday <= d <= today for r in rs]
    counts = Counter(r.routine for rs in by_day.values() for r in rs if r.outcome == "completed")
    totals = tuple(
        DayTotal(d, len(by_day.get(d, ())), sum(session_minutes(r) for r in by_day.get(d, ())))
        for d in (today - timedelta(days=k) for k in range(days - 1, -1, -1)))
    return Summary(today, len(week), sum(session_minutes(r) for r in week), streak,
                   tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ROUTINES]), totals)


def bar_chart(days: tuple[DayTotal, ...]) -> list[str]:
    """Minutes per day as one line of block characters (tallest = the best day) and a line of
    weekday initials under it, two columns a day."""
    most = max((d.minutes for d in days), default=0.0)
    bars = "".join(
        (BARS[max(1, round(d.minutes / most * (len(BARS) - 1)))] if d.minutes > 0 and most > 0 else " ") * 2
        for d in days)
    initials = "".join("MTWTFSS"[d.day.weekday()] + " " for d in days)
    return [bars.rstrip() or "(no minutes yet)", initials.rstrip()]


def summary_lines(summary: Summary, chart_days: int = 14) -> list[str]:
    """The summary as text for a terminal."""
    days = "day" if summary.streak_days == 1 else "days"
    top = ", ".join(f"{r} ({n})" for r, n in summary.top_routines) or "-"
    shown = summary.days[-chart_days:]
    most = max((d.minutes for d in shown), default=0.0)
    lines = [
        f"This week: {summary.week_sessions} session{'' if summary.week_sessions == 1 else 's'}, "
        f"{summary.week_minutes:.0f} min.  Streak: {summary.streak_days} {days}.  Done most: {top}",
        f"Minutes a day, last {len(shown)} days (tallest {most:.0f} min):",
    ]
    return lines + ["  " + line for line in bar_chart(shown)]
