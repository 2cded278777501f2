"""From a compiled cue back to the script line that wrote it: the lint reads timing from the
timeline and reports on the file."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from coach import model as m
from coach.timeline.model import Timeline
from coach.vocab import SIDES


def step_texts(step: m.Step) -> Iterator[tuple[m.Text, int]]:
    """The texts a step speaks itself, each with its line."""
    if isinstance(step, (m.Say, m.Move, m.SafetyStep)):
        yield step.text, step.line
    elif isinstance(step, m.Rest) and step.text is not None:
        yield step.text, step.line
    elif isinstance(step, m.Hold):
        for cue in step.cues:
            yield cue.text, cue.line or step.line
    elif isinstance(step, m.Breathe):
        yield step.inhale, step.line
        yield step.exhale, step.line


def text_lines(ex: m.Exercise) -> dict[str, int]:
    """Every form a cue can take when spoken (full, brief, each side filled in) -> its line."""
    lines: dict[str, int] = {}
    sided = [(SIDES[0], SIDES[1]), (SIDES[1], SIDES[0])]
    for step in m.iter_steps(ex.steps):
        for text, line in step_texts(step):
            for variant in [text] + [text.with_sides(a, b) for a, b in sided]:
                for form in (variant.full, variant.brief):
                    if form:
                        lines.setdefault(form, line)
    return lines


def timed_steps(ex: m.Exercise) -> list[m.Move | m.Hold | m.Breathe]:
    """The steps that each lay out one stretch of time (a "move", "hold" or "breathe" cue), in the
    order the compiler lays them out (repetitions, both sides and every set unrolled)."""

    def walk(steps: tuple[m.Step, ...]) -> Iterator[m.Move | m.Hold | m.Breathe]:
        for step in steps:
            if isinstance(step, (m.Move, m.Hold, m.Breathe)):
                yield step
            elif isinstance(step, m.Repeat):
                for _ in range(step.times * (2 if step.alternate else 1)):
                    yield from walk(step.steps)
            elif isinstance(step, m.Sides):
                for _ in range(2):
                    yield from walk(step.steps)

    return [s for _ in range(ex.sets) for s in walk(ex.steps)]


def locator(ex: m.Exercise, timeline: Timeline, lines: dict[str, int]) -> Callable[[str, int], int]:
    """(words, a moment) -> the script line: the words' own line, or else the line of the step whose
    time holds that moment (words the compiler put in: "In.", a countdown, "Halfway.")."""
    spans = [c for c in timeline.cues if c.kind in ("move", "hold", "breathe")]
    paired = list(zip(spans, timed_steps(ex)))

    def line_of(text: str, at_ms: int) -> int:
        if text in lines:
            return lines[text]
        return next((step.line for span, step in paired if span.start_ms <= at_ms < span.end_ms), 0)

    return line_of
