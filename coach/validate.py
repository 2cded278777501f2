"""`coach validate`: every problem in every file, in one run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coach import model as m
from coach.errors import Problem, ScriptError
from coach.library import resolve_script
from coach.lint import lint_routine
from coach.script import load_script
from coach.timeline.compiler import compile_timeline
from coach.timeline.estimate import estimate_spoken_ms


@dataclass(frozen=True)
class Validation:
    problems: tuple[Problem, ...]
    exercises: int
    routines: int

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    def failures(self, strict: bool) -> tuple[Problem, ...]:
        """What fails the run: errors, and with strict the lint's warnings too."""
        return tuple(p for p in self.problems if strict or p.severity == "error")

    def summary(self) -> str:
        files = self.exercises + self.routines
        return (f"ok: {files} file{'s' if files != 1 else ''} valid "
                f"({self.exercises} exercise{'s' if self.exercises != 1 else ''}, "
                f"{self.routines} routine{'s' if self.routines != 1 else ''})")


def validate_files(paths: tuple[Path, ...] | list[Path], session_limit_ms: int) -> Validation:
    problems: list[Problem] = []
    counts = {"exercise": 0, "routine": 0}
    for path in paths:
        shown = str(path)
        try:
            script = load_script(path, shown=shown)
            routine = resolve_script(script, path.parent)
        except ScriptError as exc:
            problems.extend(exc.problems)
            continue
        duration_ms = compile_timeline(routine, estimate_spoken_ms, m.CompileOptions()).duration_ms
        if duration_ms > session_limit_ms:
            line = script.line if isinstance(script, m.RoutineScript) else 0
            problems.append(Problem(shown, line, f"the session lasts about {duration_ms / 60000:.0f} minutes; "
                                                 f"the limit is {session_limit_ms // 60000}, shorten holds or split the routine"))
            continue
        counts["exercise" if isinstance(script, m.Exercise) else "routine"] += 1
        problems.extend(lint_routine(routine))   # warnings: the script still plays
    # A routine and the broken exercise it names, validated together, report its problems once.
    return Validation(tuple(dict.fromkeys(problems)), counts["exercise"], counts["routine"])
