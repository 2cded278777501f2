"""The coaching lint: what a physiotherapist reading the script, or a person following it on the mat,
would catch that the format itself allows. Pure: model objects and their compiled timelines in,
warnings (Problems with severity "warning") out. Each rule is a section of docs/script-format.md
("The coaching lint"); `coach validate` prints them and `--strict` fails on them.
"""

from __future__ import annotations

from coach import model as m
from coach.errors import Problem
from coach.lint.breath import held_breaths, short_breaths
from coach.lint.steps import movement_before_setup, position_directions, says_before_holds
from coach.lint.where import locator, text_lines
from coach.lint.words import quote
from coach.timeline.compiler import compile_timeline
from coach.timeline.estimate import estimate_spoken_ms
from coach.timeline.model import Timeline
from coach.vocab import VERBOSITIES

# The rules, in the order docs/script-format.md explains them.
RULES: tuple[str, ...] = ("held-breath", "say-moves", "short-breath", "setup-first", "direction", "dropped-cue")


def lint_routine(routine: m.Routine) -> tuple[Problem, ...]:
    """Every warning for the exercises of a resolved routine (overrides applied), each once, with
    the line of the exercise's script that causes it."""
    found: list[Problem] = []
    for ex in routine.exercises:
        found += lint_exercise(ex)
    return tuple(dict.fromkeys(found))


def lint_exercise(ex: m.Exercise) -> list[Problem]:
    lines = text_lines(ex)
    timelines = {v: _compiled(ex, v) for v in VERBOSITIES}
    found: list[tuple[int, str]] = []
    found += says_before_holds(ex)
    found += movement_before_setup(ex)
    found += position_directions(ex)
    for verbosity in ("full", "brief"):
        timeline = timelines[verbosity]
        line_of = locator(ex, timeline, lines)
        found += [(line_of(text, at_ms), why) for text, at_ms, why in held_breaths(timeline, _exercise_end(timeline))]
        found += [(line_of(text, at_ms), why) for text, at_ms, why in short_breaths(timeline, ex)]
    found += dropped_cues(ex, timelines, lines)
    # One warning per line and rule: a cue repeated on both sides or in every repetition is one fix.
    seen: dict[tuple[int, str], Problem] = {}
    for line, why in found:
        seen.setdefault((line, _rule(why)), Problem(ex.source, line, why, "warning"))
    return sorted(seen.values(), key=lambda p: (p.line, RULES.index(_rule(p.message))))


def dropped_cues(ex: m.Exercise, timelines: dict[str, Timeline], lines: dict[str, int]) -> list[tuple[int, str]]:
    """A cue the compiler leaves out for lack of room, once, at the line that wrote it (or the line of
    the hold it was meant for), naming the verbosities where it is lost."""
    at: dict[tuple[int, str], list[str]] = {}
    for verbosity, timeline in timelines.items():
        line_of = locator(ex, timeline, lines)
        for dropped in timeline.dropped:
            line = line_of(dropped.text, dropped.at_ms)
            at.setdefault((line, dropped.text), [])
            if verbosity not in at[line, dropped.text]:
                at[line, dropped.text].append(verbosity)
    return [(line, f"the cue '{quote(text)}' is dropped for lack of room (at verbosity {', '.join(verbosities)}); "
                   f"give it a shorter `brief`, move its `at_s` to a free moment, or lengthen the hold (dropped-cue)")
            for (line, text), verbosities in at.items()]


def _compiled(ex: m.Exercise, verbosity: str) -> Timeline:
    routine = m.Routine(ex.name, ex.title, ex.description, (ex,), 0, ex.source, "exercise")
    return compile_timeline(routine, estimate_spoken_ms, m.CompileOptions(verbosity=verbosity))


def _exercise_end(timeline: Timeline) -> int:
    """Where the exercise's own steps end: the closing chapter's start."""
    return next((ch.start_ms for ch in timeline.chapters if ch.title == "Finish"), timeline.duration_ms)


def _rule(message: str) -> str:
    return message.rsplit("(", 1)[-1].rstrip(")")

