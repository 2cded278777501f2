"""The built-in library as rows for `coach list`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from coach import model as m
from coach.library import builtin_names, resolve
from coach.timeline.compiler import duration_ms
from coach.timeline.estimate import estimate_spoken_ms


@dataclass(frozen=True)
class Row:
    name: str
    title: str
    kind: str
    duration_ms: int
    focus: tuple[str, ...]
    equipment: tuple[str, ...]
    contraindications: tuple[str, ...]

    def to_json(self) -> dict:
        return {"name": self.name, "title": self.title, "kind": self.kind, "duration_ms": self.duration_ms,
                "focus": list(self.focus), "equipment": list(self.equipment),
                "contraindications": list(self.contraindications)}


def catalog(focus: str | None = None, equipment: str | None = None,
            duration_for: Callable[[m.Routine], int] | None = None) -> list[Row]:
    """duration_for: a routine's length (`coach list` gives the one `show` prints for the voice);
    default: from the estimate."""
    length = duration_for or (lambda routine: duration_ms(routine, estimate_spoken_ms))
    rows = []
    for name in builtin_names():
        routine = resolve(name)
        if focus and focus not in routine.focus:
            continue
        if equipment and equipment not in routine.equipment:
            continue
        rows.append(Row(routine.name, routine.title, routine.kind, length(routine), routine.focus,
                        routine.equipment, routine.contraindications))
    # Routines first: they are what most people will play.
    return sorted(rows, key=lambda r: (r.kind != "routine", r.name))
