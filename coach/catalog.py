"""The library as rows for `coach list`: the built-ins and your routines, each marked with what your
screening answers rule out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from coach import model as m
from coach.errors import CoachError, ScriptError
from coach.library import builtin_names, personal_names, resolve
from coach.timeline.compiler import duration_ms
from coach.timeline.estimate import estimate_spoken_ms

ORIGINS = ("built-in", "yours", "yours, replacing the built-in")


@dataclass(frozen=True)
class Row:
    name: str
    title: str
    kind: str                  # exercise, routine, or "broken" (one of yours that does not load: title says why)
    duration_ms: int
    focus: tuple[str, ...]
    equipment: tuple[str, ...]
    contraindications: tuple[str, ...]
    origin: str = "built-in"   # one of ORIGINS
    ruled_out_by: tuple[str, ...] = ()   # conditions you answered yes to that it names

    @property
    def mine(self) -> bool:
        return self.origin != "built-in"

    def to_json(self) -> dict:
        return {"name": self.name, "title": self.title, "kind": self.kind, "duration_ms": self.duration_ms,
                "focus": list(self.focus), "equipment": list(self.equipment),
                "contraindications": list(self.contraindications), "origin": self.origin,
                "ruled_out_by": list(self.ruled_out_by)}


def catalog(focus: str | None = None, equipment: str | None = None,
            duration_for: Callable[[m.Routine], int] | None = None,
            answers: Mapping[str, bool] | None = None) -> list[Row]:
    """Every routine and exercise `resolve` takes by name. duration_for: a routine's length (`coach
    list` gives the one `show` prints for the voice; default: from the estimate); `answers`
    (condition -> has it) marks the rows they rule out."""
    length = duration_for or (lambda routine: duration_ms(routine, estimate_spoken_ms))
    mine = set(personal_names())
    rows = []
    for name in sorted(set(builtin_names()) | mine):
        origin = ORIGINS[0] if name not in mine else ORIGINS[2] if name in builtin_names() else ORIGINS[1]
        try:
            routine = resolve(name)
        except ScriptError as exc:
            rows.append(Row(name, str(exc.problems[0]), "broken", 0, (), (), (), origin))
            continue
        except CoachError as exc:
            rows.append(Row(name, str(exc), "broken", 0, (), (), (), origin))
            continue
        if focus and focus not in routine.focus:
            continue
        if equipment and equipment not in routine.equipment:
            continue
        ruled_out = tuple(c for c in routine.contraindications if (answers or {}).get(c))
        rows.append(Row(routine.name, routine.title, routine.kind, length(routine), routine.focus,
                        routine.equipment, routine.contraindications, origin, ruled_out))
    # Routines first: they are what most people will play.
    return sorted(rows, key=lambda r: (r.kind != "routine", r.name))
