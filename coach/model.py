"""The routine model: frozen data read from scripts. Times are in milliseconds throughout."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ClassVar, Self, Union

# Get-ready time when the position changes, and more when equipment has to be placed.
DEFAULT_SETUP_MS = 5_000
EQUIPMENT_SETUP_MS = 10_000
SETUP_EQUIPMENT = frozenset({"foam-roller", "exercise-ball", "chair", "bed", "pull-up-bar"})
DEFAULT_SET_REST_MS = 10_000
DEFAULT_INHALE_MS = 4_000
DEFAULT_EXHALE_MS = 6_000


@dataclass(frozen=True)
class Text:
    """Something to say, in its full form and optionally a brief one, with the lowest verbosity
    at which it is spoken."""

    full: str
    brief: str | None = None
    level: str = "full"

    def pick(self, verbosity: str) -> str:
        """The form spoken at this verbosity (whether it is spoken at all is the caller's call)."""
        if verbosity != "full" and self.brief:
            return self.brief
        return self.full

    def forms(self, verbosity: str) -> tuple[str, ...]:
        """Forms to try in order when space is short: the chosen one, then the brief one."""
        chosen = self.pick(verbosity)
        if self.brief and self.brief != chosen:
            return (chosen, self.brief)
        return (chosen,)

    def with_sides(self, side: str, other: str) -> "Text":
        def sub(s: str | None) -> str | None:
            if s is None:
                return None
            filled = s.replace("{side}", side).replace("{other}", other)
            # "{side} arm up." starts a sentence: "Left arm up."
            return filled[:1].upper() + filled[1:] if s[:1] == "{" else filled

        return Text(sub(self.full) or "", sub(self.brief), self.level)


TextFn = Callable[[Text], Text]


class StepBase:
    """What every step kind answers, so one walker (map_steps) serves every use and a new kind
    cannot be missed silently. Defaults suit a leaf with no text."""

    KIND: ClassVar[str]           # the key that starts the step in a script: "say", "hold", ...

    def map_texts(self, f: TextFn) -> Self:
        """This step with f applied to every text it speaks itself (not its children's)."""
        return self

    def map_children(self, f: Callable[[Step], Step]) -> Self:
        """This step with f applied to each direct child step."""
        return self

    def children(self) -> tuple[Step, ...]:
        return ()

    def with_overrides(self, entry: Entry) -> Self:
        """This step with a routine's overrides (hold_s, breaths, reps) applied where they fit."""
        return self


@dataclass(frozen=True)
class Say(StepBase):
    KIND: ClassVar[str] = "say"
    text: Text
    line: int = 0

    def map_texts(self, f: TextFn) -> Self:
        return dataclasses.replace(self, text=f(self.text))


@dataclass(frozen=True)
class Move(StepBase):
    """An instruction to move and the time the body needs to do it, so what follows (a hold, the
    next repetition) starts once the person is there, not when the words end.

    Timed: the movement takes `move_ms` after the instruction, then `settle_ms` of stillness;
    with `tempo` the seconds of the movement are counted aloud. Led by the breath (`breath` is
    "in" or "out"): the instruction opens that breath phase, and the movement lasts the phase."""

    KIND: ClassVar[str] = "move"
    text: Text
    move_ms: int
    settle_ms: int = 0
    tempo: bool = False
    breath: str | None = None
    line: int = 0

    def map_texts(self, f: TextFn) -> Self:
        return dataclasses.replace(self, text=f(self.text))


@dataclass(frozen=True)
class SafetyStep(StepBase):
    KIND: ClassVar[str] = "safety"
    text: Text
    line: int = 0

    def map_texts(self, f: TextFn) -> Self:
        return dataclasses.replace(self, text=f(self.text))


@dataclass(frozen=True)
class HoldCue:
    at_ms: int
    text: Text
    safety: bool = False
    line: int = 0
    at_breath: int | None = None   # in a hold counted in breaths: said during this breath (1 = first)


@dataclass(frozen=True)
class Hold(StepBase):
    """A hold timed in milliseconds (`hold_ms`) or counted in breaths (`breaths`)."""

    KIND: ClassVar[str] = "hold"
    hold_ms: int | None
    breaths: int | None
    inhale_ms: int
    exhale_ms: int
    countdown: int
    halfway: bool
    cues: tuple[HoldCue, ...] = ()
    line: int = 0

    @property
    def duration_ms(self) -> int:
        if self.hold_ms is not None:
            return self.hold_ms
        return (self.breaths or 0) * (self.inhale_ms + self.exhale_ms)

    def map_texts(self, f: TextFn) -> Self:
        return dataclasses.replace(self, cues=tuple(dataclasses.replace(c, text=f(c.text)) for c in self.cues))

    def with_overrides(self, entry: Entry) -> Self:
        if self.hold_ms is not None and entry.hold_s:
            new_ms = entry.hold_s * 1000
            countdown = min(self.countdown, max(0, entry.hold_s - 1))
            return dataclasses.replace(self, hold_ms=new_ms, cues=self._cues_scaled(new_ms), countdown=countdown)
        if self.breaths is not None and entry.breaths:
            new_ms = entry.breaths * (self.inhale_ms + self.exhale_ms)
            return dataclasses.replace(self, breaths=entry.breaths, cues=self._cues_scaled(new_ms, entry.breaths))
        return self

    def _cues_scaled(self, new_ms: int, breaths: int | None = None) -> tuple[HoldCue, ...]:
        """Cues keep their place relative to the hold's length; a cue at breath N stays at breath N
        (the last one, when there are now fewer)."""
        return tuple(
            dataclasses.replace(c, at_ms=c.at_ms * new_ms // self.duration_ms,
                                at_breath=None if c.at_breath is None else min(c.at_breath, breaths or c.at_breath))
            for c in self.cues)


@dataclass(frozen=True)
class Breathe(StepBase):
    """Paced breathing: `breaths` cycles, or as many whole cycles as fill `for_ms` at the pace the
    session runs (then `breaths` is the count at the written pace)."""

    KIND: ClassVar[str] = "breathe"
    breaths: int
    inhale_ms: int
    exhale_ms: int
    inhale: Text
    exhale: Text
    line: int = 0
    for_ms: int | None = None

    @property
    def duration_ms(self) -> int:
        return self.breaths * (self.inhale_ms + self.exhale_ms)

    def map_texts(self, f: TextFn) -> Self:
        return dataclasses.replace(self, inhale=f(self.inhale), exhale=f(self.exhale))

    def with_overrides(self, entry: Entry) -> Self:
        return dataclasses.replace(self, breaths=entry.breaths, for_ms=None) if entry.breaths else self


@dataclass(frozen=True)
class Repeat(StepBase):
    """The steps `times` times; alternating, `times` for each side in turn (left, right, left, ...),
    with {side} and {other} filled in for each repetition."""

    KIND: ClassVar[str] = "repeat"
    times: int
    counted: bool          # say each repetition's number ("One.", "Two.", ... "Last one.")
    steps: tuple[Step, ...]
    line: int = 0
    alternate: bool = False
    first: str = "left"

    def children(self) -> tuple[Step, ...]:
        return self.steps

    def map_children(self, f: Callable[[Step], Step]) -> Self:
        return dataclasses.replace(self, steps=tuple(f(s) for s in self.steps))

    def with_overrides(self, entry: Entry) -> Self:
        return dataclasses.replace(self, times=entry.reps) if entry.reps else self


@dataclass(frozen=True)
class Sides(StepBase):
    KIND: ClassVar[str] = "sides"
    first: str
    steps: tuple[Step, ...]
    line: int = 0

    def children(self) -> tuple[Step, ...]:
        return self.steps

    def map_children(self, f: Callable[[Step], Step]) -> Self:
        return dataclasses.replace(self, steps=tuple(f(s) for s in self.steps))


@dataclass(frozen=True)
class Rest(StepBase):
    KIND: ClassVar[str] = "rest"
    rest_ms: int
    text: Text | None = None
    line: int = 0

    def map_texts(self, f: TextFn) -> Self:
        return self if self.text is None else dataclasses.replace(self, text=f(self.text))


Step = Union[Say, Move, SafetyStep, Hold, Breathe, Repeat, Sides, Rest]
# Every step kind, in the order the format documents them; script keys come from their KIND.
STEP_TYPES: tuple[type[StepBase], ...] = (Say, Move, SafetyStep, Hold, Breathe, Repeat, Sides, Rest)
STEP_KINDS: tuple[str, ...] = tuple(t.KIND for t in STEP_TYPES)


def map_steps(steps: tuple[Step, ...], f: Callable[[Step], Step]) -> tuple[Step, ...]:
    """The step tree rebuilt bottom-up: children first, then f on each step, at any depth."""

    def visit(step: Step) -> Step:
        return f(step.map_children(visit))

    return tuple(visit(s) for s in steps)


def iter_steps(steps: tuple[Step, ...]) -> Iterator[Step]:
    """Every step of the tree, depth first, parents before their children."""
    for step in steps:
        yield step
        yield from iter_steps(step.children())


@dataclass(frozen=True)
class Exercise:
    name: str
    title: str
    description: str
    focus: tuple[str, ...]
    equipment: tuple[str, ...]
    position: str
    contraindications: tuple[str, ...]
    safety: Text
    steps: tuple[Step, ...]
    setup: Text | None = None
    setup_ms: int = DEFAULT_SETUP_MS
    source: str = ""
    sets: int = 1               # the whole exercise this many times; announced and set up once
    set_rest_ms: int = DEFAULT_SET_REST_MS
    line: int = 0               # where its 'steps' start, for problems with the exercise as a whole


@dataclass(frozen=True)
class Entry:
    """One item of a routine's sequence: a name, and overrides for this routine only."""

    name: str
    hold_s: int | None = None
    breaths: int | None = None
    reps: int | None = None
    line: int = 0
    sets: int | None = None


@dataclass(frozen=True)
class RoutineScript:
    """A routine as written: names, not yet resolved into exercises."""

    name: str
    title: str
    description: str
    sequence: tuple[Entry, ...]
    rest_ms: int = 0
    source: str = ""
    line: int = 0


@dataclass(frozen=True)
class Routine:
    """A playable routine: its exercises resolved, with overrides applied."""

    name: str
    title: str
    description: str
    exercises: tuple[Exercise, ...]
    rest_ms: int = 0
    source: str = ""
    kind: str = "routine"   # "exercise" when this is a single exercise played on its own
    line: int = 0           # its 'sequence' (or the exercise's 'steps'), for problems with the whole

    @property
    def focus(self) -> tuple[str, ...]:
        return _union(e.focus for e in self.exercises)

    @property
    def equipment(self) -> tuple[str, ...]:
        found = _union(e.equipment for e in self.exercises)
        real = tuple(x for x in found if x != "none")
        return real or ("none",)

    @property
    def contraindications(self) -> tuple[str, ...]:
        return _union(e.contraindications for e in self.exercises)


def _union(groups) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for item in group:
            seen.setdefault(item, None)
    return tuple(seen)


@dataclass(frozen=True)
class CompileOptions:
    """Session-wide choices that change the timeline."""

    verbosity: str = "full"
    hold_scale: float = 1.0     # multiplies every timed hold
    breath_scale: float = 1.0   # multiplies every inhale and exhale (slower or faster pace)
    cleared: bool = False       # a clinician approved it despite a named condition: say so at the start
    notes: tuple[str, ...] = () # extra safety notes spoken at the start (e.g. "third time today")
    hold_sound: str = "none"    # what sounds in a timed hold between its cues: breath, tick or none
