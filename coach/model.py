"""The routine model: frozen data read from scripts. Times are in milliseconds throughout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

# Get-ready time when the position changes, and more when equipment has to be placed.
DEFAULT_SETUP_MS = 5_000
EQUIPMENT_SETUP_MS = 10_000
SETUP_EQUIPMENT = frozenset({"foam-roller", "exercise-ball", "chair", "bed", "pull-up-bar"})
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
            return None if s is None else s.replace("{side}", side).replace("{other}", other)

        return Text(sub(self.full) or "", sub(self.brief), self.level)


@dataclass(frozen=True)
class Say:
    text: Text
    line: int = 0


@dataclass(frozen=True)
class SafetyStep:
    text: Text
    line: int = 0


@dataclass(frozen=True)
class HoldCue:
    at_ms: int
    text: Text
    safety: bool = False
    line: int = 0


@dataclass(frozen=True)
class Hold:
    """A hold timed in milliseconds (`hold_ms`) or counted in breaths (`breaths`)."""

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


@dataclass(frozen=True)
class Breathe:
    breaths: int
    inhale_ms: int
    exhale_ms: int
    inhale: Text
    exhale: Text
    line: int = 0

    @property
    def duration_ms(self) -> int:
        return self.breaths * (self.inhale_ms + self.exhale_ms)


@dataclass(frozen=True)
class Repeat:
    times: int
    count: bool
    steps: tuple["Step", ...]
    line: int = 0


@dataclass(frozen=True)
class Sides:
    first: str
    steps: tuple["Step", ...]
    line: int = 0


@dataclass(frozen=True)
class Rest:
    rest_ms: int
    text: Text | None = None
    line: int = 0


Step = Union[Say, SafetyStep, Hold, Breathe, Repeat, Sides, Rest]


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


@dataclass(frozen=True)
class Entry:
    """One item of a routine's sequence: a name, and overrides for this routine only."""

    name: str
    hold_s: int | None = None
    breaths: int | None = None
    reps: int | None = None
    line: int = 0


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
