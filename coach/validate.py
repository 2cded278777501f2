"""`coach validate`: every problem in every file, in one run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coach import model as m
from coach.errors import Problem, ScriptError
from coach.library import resolve_script
from coach.lint import lint_routine
from coach.script import load_script


@dataclass(frozen=True)
class Validation:
    problems: tuple[Problem, ...]
    exercises: int
    routines: int
    named: tuple[str, ...] = ()   # the files asked about, as shown
    bad_files: int = 0            # of those, the ones with a problem (their own, or in a script they compose)
    warned_files: int = 0         # of the valid ones, those the coaching lint warns about

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

    def failure(self, strict: bool = False) -> str:
        """'3 problems: 1 of 2 files is not valid', and how many problems are in scripts those files compose
        (a routine naming a broken exercise is not valid, though the problem is the exercise's)."""
        failing = self.failures(strict)
        count, files = len(failing), len(self.named)
        bad = self.bad_files + (self.warned_files if strict else 0)
        text = (f"{count} problem{'s' if count != 1 else ''}: {bad} of {files} file{'s' if files != 1 else ''} "
                f"{'is' if bad == 1 else 'are'} not valid")
        elsewhere = sum(p.path not in self.named for p in failing)
        if elsewhere:
            text += f" ({elsewhere} of them in scripts {'they compose' if files != 1 else 'it composes'})"
        return text


def validate_files(paths: tuple[Path, ...] | list[Path]) -> Validation:
    problems: list[Problem] = []
    counts = {"exercise": 0, "routine": 0}
    bad = warned = 0
    for path in paths:
        shown = str(path)
        try:
            script = load_script(path, shown=shown)
            routine = resolve_script(script, path.parent)   # composition, size and the session's length
        except ScriptError as exc:
            problems.extend(exc.problems)
            bad += 1
            continue
        counts["exercise" if isinstance(script, m.Exercise) else "routine"] += 1
        warnings = lint_routine(routine)   # the script still plays
        problems.extend(warnings)
        warned += bool(warnings)
    # A routine and the broken exercise it names, validated together, report its problems once.
    return Validation(tuple(dict.fromkeys(problems)), counts["exercise"], counts["routine"],
                      tuple(str(p) for p in paths), bad, warned)
