"""The library the page shows: every built-in routine and exercise, and the person's own scripts.

A request names a routine by its id only (a built-in name, or "my:" + a file's stem in the personal
folder); the id is looked up in a table made from the folder listing, so no path is ever built from
what a request says. A personal script that does not load is listed with its problem, not dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from coach import model as m
from coach.errors import CoachError, UsageError
from coach.screening import evaluate
from coach.vocab import CONDITIONS, POSITIONS

PERSONAL_PREFIX = "my:"
_ID = re.compile(r"(my:)?[A-Za-z0-9][A-Za-z0-9_-]{0,80}")


@dataclass(frozen=True)
class Entry:
    id: str
    routine: m.Routine | None
    personal: bool
    duration_ms: int = 0
    problem: str = ""          # why it cannot be played (a personal script with errors)


class RoutineIndex:
    def __init__(self, personal_dir: Path | None = None):
        self.personal_dir = personal_dir

    def entries(self) -> list[Entry]:
        """Routines first, then exercises; the personal ones (read afresh each time) after the built-ins."""
        from coach.library import builtin_names

        built_in = [_builtin_entry(name) for name in builtin_names()]
        built_in.sort(key=lambda e: (e.routine is None or e.routine.kind != "routine", e.id))
        return built_in + [_personal_entry(stem, path) for stem, path in sorted(self._personal_files().items())]

    def get(self, routine_id: object) -> m.Routine:
        """The playable routine for an id; UsageError for an unknown id or one that does not load."""
        if not isinstance(routine_id, str) or not _ID.fullmatch(routine_id):
            raise UsageError("a routine is named by its id from the library (like child-pose), never by a path")
        if routine_id.startswith(PERSONAL_PREFIX):
            path = self._personal_files().get(routine_id[len(PERSONAL_PREFIX):])
            entry = _personal_entry(routine_id[len(PERSONAL_PREFIX):], path) if path is not None else None
        else:
            from coach.library import builtin_names

            entry = _builtin_entry(routine_id) if routine_id in builtin_names() else None
        if entry is None:
            raise UsageError(f"no routine called '{routine_id}' in the library")
        if entry.routine is None:
            raise UsageError(entry.problem)
        return entry.routine

    def _personal_files(self) -> dict[str, Path]:
        folder = self.personal_dir
        if folder is None or not folder.is_dir():
            return {}
        return {p.stem: p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
                and _ID.fullmatch(p.stem)}


@lru_cache(maxsize=None)
def _builtin_entry(name: str) -> Entry:
    from coach.library import resolve

    routine = resolve(name)
    return Entry(name, routine, False, _minutes_ms(routine))


def _personal_entry(stem: str, path: Path) -> Entry:
    from coach.library import resolve

    entry_id = PERSONAL_PREFIX + stem
    try:
        routine = resolve(str(path))
    except CoachError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "cannot be read"
        return Entry(entry_id, None, True, problem=f"{path.name} cannot be played: {first}")
    return Entry(entry_id, routine, True, _minutes_ms(routine))


def _minutes_ms(routine: m.Routine) -> int:
    from coach.timeline.compiler import duration_ms
    from coach.timeline.estimate import estimate_spoken_ms

    return duration_ms(routine, estimate_spoken_ms)


def entry_json(entry: Entry, answers: dict[str, bool]) -> dict:
    """One row of the library page, with what the screening answers say about it."""
    routine = entry.routine
    if routine is None:
        return {"id": entry.id, "title": entry.id[len(PERSONAL_PREFIX):], "personal": True, "problem": entry.problem,
                "verdict": {"status": "broken", "message": entry.problem}}
    positions = list(dict.fromkeys(e.position for e in routine.exercises))
    return {
        "id": entry.id, "title": routine.title, "kind": routine.kind, "personal": entry.personal,
        "description": routine.description, "duration_ms": entry.duration_ms,
        "focus": list(routine.focus), "equipment": list(routine.equipment),
        "positions": [POSITIONS.get(p, p) for p in positions],
        "conditions": [CONDITIONS[c] for c in routine.contraindications],
        "verdict": verdict_json(routine, answers),
    }


def verdict_json(routine: m.Routine, answers: dict[str, bool]) -> dict:
    """The CLI's rules (coach.screening.evaluate): unanswered conditions are asked first; one the
    person has rules the routine out unless a doctor or therapist cleared it."""
    verdict = evaluate(routine, answers, cleared=False)
    if verdict.blocking:
        labels = "; ".join(CONDITIONS[c] for c in verdict.blocking)
        return {"status": "ruled-out", "conditions": [CONDITIONS[c] for c in verdict.blocking],
                "message": f"Not advised with {labels}. Play it only if your doctor or physiotherapist approved it."}
    if verdict.unanswered:
        return {"status": "ask", "conditions": [CONDITIONS[c] for c in verdict.unanswered],
                "message": "Answer the health questions first."}
    return {"status": "ok"}
