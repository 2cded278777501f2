"""How big a routine is once repeats, sides and sets are multiplied out, and how long it lasts at the
least: both computed from the structure in one walk of its tree, never by expanding or compiling it,
so that a script asking for 50 x 50 x 50 repetitions or a 16-hour session is refused at once.

The floor mirrors the compiler's arithmetic for everything said or timed one after another (speech,
holds, breathing, moves, rests, get-ready time) and leaves out only the pauses between sentences, so
the compiled session is never shorter (tests/test_bounds.py checks that on generated routines).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from coach import model as m
from coach.errors import Problem
from coach.safety import CLEARED_REMINDER, OPENING_NOTE
from coach.timeline import compiler as c
from coach.timeline.model import TONE_MS
from coach.timeline.words import spoken_number
from coach.vocab import verbosity_rank

SESSION_LIMIT_MS = 2 * 60 * 60 * 1000
MAX_NESTING = 4          # 'repeat' and 'sides' inside one another
MAX_REPETITIONS = 1_000  # times x sides x sets along one path of the tree
MAX_CUES = 10_000        # cues and spans of a whole session; a dense two hours has about 2,500

SpokenMs = Callable[[str], int]


@dataclass(frozen=True)
class Size:
    cues: int            # about as many cues and spans as the compiler would place (never fewer)
    nesting: int         # the deepest 'repeat'/'sides' nesting
    repetitions: int     # the largest product of repeats, sides and sets along one path


def exercise_size(ex: m.Exercise) -> Size:
    size = _steps_size(ex.steps)
    # Announce, safety, setup and get-ready once; each later set: a rest, its words, its opening, safety.
    cues = 4 + ex.sets * size.cues + 4 * (ex.sets - 1)
    return Size(cues, size.nesting, size.repetitions * ex.sets)


def exercise_problems(ex: m.Exercise) -> list[Problem]:
    """What makes an exercise too big to run, each at the line of the step that does it."""
    deep = _first(ex.steps, lambda s, depth, reps: depth > MAX_NESTING)
    if deep is not None:
        return [Problem(ex.source, deep.line, f"'{deep.KIND}' nested {MAX_NESTING + 1} deep; at most {MAX_NESTING} "
                                              f"'repeat' or 'sides' blocks go inside one another, flatten the steps")]
    many = _first(ex.steps, lambda s, depth, reps: reps * ex.sets > MAX_REPETITIONS)
    if many is not None:
        return [Problem(ex.source, many.line, f"this '{many.KIND}' runs its steps over {MAX_REPETITIONS} times "
                                              f"(repeats, sides and sets multiplied); use fewer repetitions")]
    cues = exercise_size(ex).cues
    if cues > MAX_CUES:
        return [Problem(ex.source, ex.line, f"the steps expand to about {cues} cues once repeats, sides and sets "
                                            f"are multiplied out; at most {MAX_CUES}, use fewer repetitions")]
    return []


def _first(steps: tuple[m.Step, ...], bad: Callable[[m.Step, int, int], bool], depth: int = 0,
           reps: int = 1) -> m.Step | None:
    """The first repeat or sides block (depth first) for which bad(step, depth, repetitions) holds."""
    for step in steps:
        factor = _factor(step)
        if factor is None:
            continue
        if bad(step, depth + 1, reps * factor):
            return step
        inner = _first(step.children(), bad, depth + 1, reps * factor)
        if inner is not None:
            return inner
    return None


def _factor(step: m.Step) -> int | None:
    """How many times a block runs its steps; None for a step that has none."""
    if isinstance(step, m.Repeat):
        return step.times * (2 if step.alternate else 1)
    if isinstance(step, m.Sides):
        return 2
    return None


def _steps_size(steps: tuple[m.Step, ...]) -> Size:
    cues, nesting, reps = 0, 0, 1
    for step in steps:
        factor = _factor(step)
        if factor is None:
            cues += _leaf_cues(step)
            continue
        inner = _steps_size(step.children())
        counts = step.times if isinstance(step, m.Repeat) and step.counted else 2 if isinstance(step, m.Sides) else 0
        cues += counts + factor * inner.cues
        nesting = max(nesting, inner.nesting + 1)
        reps = max(reps, factor * inner.repetitions)
    return Size(cues, nesting, reps)


def _leaf_cues(step: m.Step) -> int:
    if isinstance(step, m.Hold):
        return 1 + step.countdown + step.halfway + len(step.cues) + 4 * (step.breaths or 0)   # a tone and a cue a phase
    if isinstance(step, m.Breathe):
        # Filling seconds, the count follows the session's pace: at most a breath a second.
        breaths = step.breaths if step.for_ms is None else max(step.breaths, step.for_ms // 1000)
        return 1 + 4 * breaths
    if isinstance(step, m.Move):
        return 3 + (step.move_ms // 1000 if step.tempo else 0)
    return 2   # words, and a silence after them (a rest)


def routine_cues(exercises: Iterable[m.Exercise]) -> int:
    return 8 + sum(exercise_size(ex).cues + 2 for ex in exercises)


# -- the shortest the session can be ----------------------------------------------------------------

def floor_ms(routine: m.Routine, options: m.CompileOptions, spoken_ms: SpokenMs) -> int:
    """What the compiler adds up one after another, less the pauses between sentences."""
    return _Floor(options, spoken_ms).routine(routine)


class _Floor:
    def __init__(self, options: m.CompileOptions, spoken_ms: SpokenMs):
        self.options = options
        self.spoken_ms = spoken_ms
        self.rank = verbosity_rank(options.verbosity)

    def said(self, text: m.Text | None, later: bool = False, always: bool = False) -> int:
        if text is None or not (always or self.rank >= verbosity_rank(text.level)):
            return 0
        return self.spoken_ms(text.brief if later and text.brief else text.pick(self.options.verbosity))

    def routine(self, routine: m.Routine) -> int:
        total = 2 * TONE_MS["bell"] + self.said(c.intro_text(routine.title, 1)) + self.said(OPENING_NOTE, always=True)
        if self.options.cleared:
            total += self.said(CLEARED_REMINDER, always=True)
        total += sum(self.said(m.Text(note, None, "minimal")) for note in self.options.notes)
        position = None
        for index, ex in enumerate(routine.exercises):
            if index and routine.rest_ms:
                total += max(routine.rest_ms, self.said(c.up_next(ex)))
            total += self.exercise(ex, position)
            position = ex.position
        return total + self.said(c.OUTRO_BY_POSITION.get(position or "", c.OUTRO))

    def exercise(self, ex: m.Exercise, previous_position: str | None) -> int:
        total = self.said(m.Text(f"Next: {ex.title}.", None, "minimal")) + self.said(ex.safety, always=True)
        if ex.position != previous_position:
            setup = ex.setup if ex.setup is not None and self.said(ex.setup) else c.position_line(ex.position)
            total += self.said(setup) + ex.setup_ms
        total += self.steps(ex.steps, later=False)
        for n in range(2, ex.sets + 1):
            rest, opening = c.set_texts(n, ex.sets)
            brief_safety = m.Text(ex.safety.brief, None, "minimal") if ex.safety.brief else None
            total += ex.set_rest_ms + self.said(rest) + self.said(opening) + self.said(brief_safety, always=True)
            total += self.steps(ex.steps, later=True)
        return total

    def steps(self, steps: tuple[m.Step, ...], later: bool) -> int:
        return sum(self.step(step, later) for step in steps)

    def step(self, step: m.Step, later: bool) -> int:
        if isinstance(step, m.Say):
            return self.said(step.text, later)
        if isinstance(step, m.SafetyStep):
            return self.said(step.text, always=True)
        if isinstance(step, m.Move):
            if step.breath is not None:   # the words are said within the breath phase
                return c.paced_ms(step.move_ms, self.options) + step.settle_ms
            return self.said(step.text, later) + step.move_ms + step.settle_ms
        if isinstance(step, m.Hold):
            if step.hold_ms is not None:
                return c.scaled_hold_ms(step.hold_ms, self.options)
            return (step.breaths or 0) * self.cycle_ms(step.inhale_ms, step.exhale_ms)
        if isinstance(step, m.Breathe):
            cycle_ms = self.cycle_ms(step.inhale_ms, step.exhale_ms)
            breaths = step.breaths if step.for_ms is None else max(1, round(step.for_ms / cycle_ms))
            return breaths * cycle_ms
        if isinstance(step, m.Rest):
            return self.said(step.text) + step.rest_ms
        if isinstance(step, m.Sides):
            return 2 * self.steps(step.steps, later) + self.said(c.SWITCH) + c.SWITCH_MS
        if isinstance(step, m.Repeat):
            return self.repeat(step, later)
        raise TypeError(f"no floor for {type(step).__name__} steps")

    def cycle_ms(self, inhale_ms: int, exhale_ms: int) -> int:
        return c.paced_ms(inhale_ms, self.options) + c.paced_ms(exhale_ms, self.options)

    def repeat(self, step: m.Repeat, later: bool) -> int:
        rounds = 2 if step.alternate else 1
        counts = 0
        if step.counted:
            counts = sum(self.spoken_ms("Last one." if step.times > 1 and i == step.times - 1 else spoken_number(i + 1))
                         for i in range(step.times))
        first = self.steps(step.steps, later)
        again = self.steps(step.steps, True) if step.times > 1 else 0
        # A rest that closes the last repetition is left out, as the compiler does.
        tail: list[m.Step] = []
        for s in reversed(step.steps):
            if not isinstance(s, m.Rest):
                break
            tail.append(s)
        closing = sum(self.step(s, later or step.times > 1) for s in tail)
        return counts + rounds * (first + (step.times - 1) * again) - closing
