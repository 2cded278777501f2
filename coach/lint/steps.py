"""Rules over the script's steps as written: a movement said as a `say` right before a hold
("say-moves"), the movement described before the starting position ("setup-first"), and directions
that depend on which way the body faces ("direction")."""

from __future__ import annotations

from collections.abc import Iterator

from coach import model as m
from coach.lint.where import step_texts
from coach.lint.words import LYING_POSITIONS, bare_directions, quote as _short, tells_to_move
from coach.vocab import POSITIONS


def _lists(steps: tuple[m.Step, ...]) -> Iterator[tuple[m.Step, ...]]:
    """The step list and every nested one (repeat and sides bodies)."""
    yield steps
    for step in steps:
        if step.children():
            yield from _lists(step.children())


def _moves(text: m.Text) -> bool:
    return any(tells_to_move(form) for form in (text.full, text.brief) if form)


def says_before_holds(ex: m.Exercise) -> Iterator[tuple[int, str]]:
    """A `say` that moves the body with only words (other `say` and `safety` steps) between it and
    a hold or paced breathing: the hold starts when the last words end."""
    for steps in _lists(ex.steps):
        for i, step in enumerate(steps):
            if not isinstance(step, m.Say) or not _moves(step.text):
                continue
            following = [s for s in steps[i + 1:] if not isinstance(s, (m.Say, m.SafetyStep))]
            if following and isinstance(following[0], (m.Hold, m.Breathe)):
                what = "hold" if isinstance(following[0], m.Hold) else "paced breathing"
                yield step.line, (f"'{_short(step.text.full)}' tells the body to move, and the {what} at line "
                                  f"{following[0].line} starts the moment the words end; make it a `move` with "
                                  f"`seconds:` (the time the movement takes) (say-moves)")


def movement_before_setup(ex: m.Exercise) -> Iterator[tuple[int, str]]:
    """A movement described (a `say` that moves, or paced breathing) before the `move` that sets the
    starting position."""
    setting = next((s for s in ex.steps if isinstance(s, m.Move)), None)
    if setting is None:
        return
    for step in ex.steps[:ex.steps.index(setting)]:
        if isinstance(step, m.Say) and _moves(step.text) or isinstance(step, m.Breathe):
            yield step.line, (f"this describes the movement before the starting position is set (line "
                              f"{setting.line}: '{_short(setting.text.full)}'); put the starting position "
                              f"first, or make this a `move` if it is the starting position (setup-first)")


def position_directions(ex: m.Exercise) -> Iterator[tuple[int, str]]:
    """back / forward / up / down with no body-relative place, in a lying position."""
    if ex.position not in LYING_POSITIONS:
        return
    where = POSITIONS.get(ex.position, ex.position)
    for step in m.iter_steps(ex.steps):
        for text, line in step_texts(step):
            for form in dict.fromkeys(f for f in (text.full, text.brief) if f):
                for phrase in bare_directions(form):
                    yield line, (f"'{phrase}' in '{_short(form)}': which way that is depends on the position "
                                 f"({where}); name it from the body, e.g. 'towards your head', 'towards your "
                                 f"feet', 'to the mat' (direction)")
