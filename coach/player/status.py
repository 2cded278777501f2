"""The status line under the captions, fitted to the terminal's width: pure text, no terminal.

A status line that is cut at the edge loses what matters most from a mat (the time left), so every
part has shorter forms and the line gives up detail in a fixed order until it fits: first what comes
next, then the listening mark, then the exercise name is shortened, then the words around the times.
The times themselves and a PAUSED mark are the last to shrink.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from coach.player.segments import PlayerStep

SEPARATOR = " | "
ELLIPSIS = "..."

# What comes next, in words, when it is a timed step of the same exercise: (full with its length, short).
_NEXT_WORDS = {"hold": ("a {} hold", "hold"), "breathe": ("{} of paced breathing", "breathing"),
               "transition": ("{} to get ready", "get ready"), "move": ("{} to move", "move"),
               "pause": ("a {} rest", "rest")}


@dataclass(frozen=True)
class Part:
    """One piece of the status line: its forms from the fullest to the shortest ("" = left out)."""

    forms: tuple[str, ...]


@dataclass(frozen=True)
class StatusState:
    step: PlayerStep | None
    next_step: PlayerStep | None
    position_ms: float
    duration_ms: int
    paused: bool = False
    waiting: bool = False
    listening: bool = False


def minutes_seconds(ms: float) -> str:
    """Whole seconds, rounded up (a countdown never shows 0:00 while time is left): m:ss."""
    seconds = max(0, math.ceil(ms / 1000))
    return f"{seconds // 60}:{seconds % 60:02d}"


# The order in which parts give up detail: each name moves its part one form shorter. What comes next
# goes first; the times and the PAUSED mark keep their short forms to the end.
SHRINK_ORDER = ("next", "session", "listening", "next", "flag", "exercise", "step", "listening", "exercise",
                "session", "step", "exercise", "next", "exercise", "step", "session", "flag")


def status_parts(state: StatusState) -> dict[str, Part]:
    """The parts by role, in display order."""
    parts: dict[str, Part] = {}
    if state.paused:
        parts["flag"] = Part(("PAUSED (space to resume)", "PAUSED"))
    elif state.waiting:
        parts["flag"] = Part(("waiting for the voice...", "waiting..."))
    if state.step is not None:
        parts["exercise"] = Part(_shortened(state.step.chapter, (28, 18, 12)))
        parts["step"] = _step_part(state.step, state.position_ms)
    if state.next_step is not None:
        parts["next"] = Part(_next_forms(state.step, state.next_step))
    left_ms = state.duration_ms - state.position_ms
    parts["session"] = Part((f"session {minutes_seconds(left_ms)} left of {minutes_seconds(state.duration_ms)}",
                             f"session {minutes_seconds(left_ms)} left", f"{minutes_seconds(left_ms)} left"))
    if state.listening:
        parts["listening"] = Part(("listening", "mic", ""))
    return parts


def fit_status(state: StatusState, width: int) -> str:
    """The status line in at most `width` characters, giving up detail in SHRINK_ORDER."""
    parts = status_parts(state)
    chosen = dict.fromkeys(parts, 0)

    def text() -> str:
        return SEPARATOR.join(f for role, part in parts.items() if (f := part.forms[chosen[role]]))

    line = text()
    taken: list[str] = []
    for role in SHRINK_ORDER:
        if len(line) <= width:
            break
        if role in parts and chosen[role] + 1 < len(parts[role].forms):
            chosen[role] += 1
            taken.append(role)
            line = text()
    # Shrinking a later part may have made room that an earlier step took: give back what still fits.
    for role in reversed(taken):
        chosen[role] -= 1
        if len(text()) > width:
            chosen[role] += 1
    line = text()
    # Narrower than any terminal one follows a session on (under about 40 columns): cut, and show it.
    return line if len(line) <= width else line[: max(0, width - 1)] + "~"


def _step_part(step: PlayerStep, position_ms: float) -> Part:
    name = _NEXT_WORDS[step.kind][1] if step.kind in _NEXT_WORDS else ""
    if not step.is_span:
        return Part(_shortened(step.label, (40, 24, 0)))
    left = minutes_seconds(step.end_ms - position_ms)
    label = step.label
    return Part((f"{label}: {left} left", f"{name} {left}" if name else left, left))


def _next_forms(step: PlayerStep | None, next_step: PlayerStep) -> tuple[str, ...]:
    if step is not None and next_step.chapter == step.chapter:
        words = _NEXT_WORDS.get(next_step.kind)
        if words is not None:
            full = "then " + words[0].format(_length_words(next_step.end_ms - next_step.start_ms))
            return (full, f"then {words[1]}", "")
        return tuple(f"then: {f}" for f in _shortened(next_step.label, (40, 20)) if f) + ("",)
    return tuple(f"next: {f}" for f in _shortened(next_step.chapter, (28, 16)) if f) + ("",)


def _length_words(ms: int) -> str:
    seconds = round(ms / 1000)
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min" + (f" {rest} s" if rest else "")


def _shortened(text: str, lengths: tuple[int, ...]) -> tuple[str, ...]:
    """The text, then cut on a word to each length in turn (0 = left out), without repeating a form."""
    forms = [text]
    for length in lengths:
        if length == 0:
            forms.append("")
            continue
        if len(text) <= length:
            continue
        cut = text[: length - len(ELLIPSIS)]
        if " " in cut[length // 2:]:
            cut = cut[: cut.rindex(" ")]
        form = cut.rstrip(" ,.;:") + ELLIPSIS
        if form != forms[-1]:
            forms.append(form)
    return tuple(forms)
