"""What a plan is made from besides the request: the screening answers, the recent sessions and the
holds progression proposes. Reads the config and the history; the builder itself stays pure."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

from coach.exercise_index import by_name
from coach.history import SessionRow
from coach.plan.build import Plan, PlanRequest, build

RECENT = 3   # sessions that count as "lately"


def recent_sets(rows: Iterable[SessionRow]) -> tuple[tuple[str, ...], ...]:
    """The exercises of the last sessions that ran (past the first exercise, or completed), newest first."""
    ran = [r for r in sorted(rows, key=lambda r: -r.id)
           if r.exercises and (r.outcome == "completed" or (r.reached or 0) >= 1)]
    return tuple(tuple(d.name for d in r.exercises) for r in ran[:RECENT])


def week_focus(rows: Iterable[SessionRow], today: date) -> dict[str, int]:
    """focus -> exercises done for it since Monday."""
    monday = today - timedelta(days=today.weekday())
    index = by_name()
    counts: dict[str, int] = {}
    for row in rows:
        if datetime.fromisoformat(row.started_at).date() < monday:
            continue
        for done in row.exercises:
            for focus in index[done.name].focus if done.name in index else ():
                counts[focus] = counts.get(focus, 0) + 1
    return counts


def plan_from_files(request: PlanRequest, config_path: Path | None, history_path: Path | None,
                    progress: bool = True, today: date | None = None) -> tuple[Plan, list[str]]:
    """The plan for this person: their answers, their history; and the notes of the history file
    (one moved aside as damaged) for the caller to show."""
    from coach import progression
    from coach.history import History
    from coach.screening import Answers
    from coach.settings import config_path as default_config, history_path as default_history

    answers = Answers(default_config(config_path)).values
    history = History(default_history(history_path))
    rows = history.rows()
    proposed = {n: {p.knob: p.value} for n, p in progression.propose(rows).items()} if progress else {}
    request = dataclasses.replace(request, answers=answers, recent=recent_sets(rows),
                                  week_focus=week_focus(rows, today or date.today()), proposed=proposed)
    return build(request), history.notes
