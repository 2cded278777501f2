"""What the player tells its view: plain frozen events, and how a session ended."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from coach.player.segments import PlayerStep
from coach.timeline.model import Cue
from coach.vocab import ENDINGS


@dataclass(frozen=True)
class Started:
    title: str
    duration_ms: int
    steps: tuple[PlayerStep, ...]


@dataclass(frozen=True)
class StepChanged:
    step: PlayerStep
    next_step: PlayerStep | None
    position_ms: float


@dataclass(frozen=True)
class Caption:
    cue: Cue
    position_ms: float     # where in the session it is spoken (paused time excluded)


@dataclass(frozen=True)
class Progress:
    position_ms: float
    duration_ms: int
    step: PlayerStep
    next_step: PlayerStep | None


@dataclass(frozen=True)
class Paused:
    position_ms: float


@dataclass(frozen=True)
class Resumed:
    position_ms: float


@dataclass(frozen=True)
class Waiting:
    """The next sound is not ready (its clip is still being synthesised): the session holds still
    until it is, then a Resumed follows."""

    position_ms: float


@dataclass(frozen=True)
class Listening:
    """Voice commands are on (the recognizer is loaded)."""


@dataclass(frozen=True)
class Heard:
    """A voice command was understood and acted on."""

    phrase: str          # as heard: "time left"
    command: str         # what it did: "time-left"


@dataclass(frozen=True)
class SessionResult:
    ended: str                    # one of ENDINGS
    position_ms: float            # where in the session it ended
    duration_ms: int
    first_sound_ms: float | None  # from run() to the first sound handed to the output
    late_ms: tuple[float, ...]    # lateness of every cue started, in order
    waited_ms: tuple[float, ...] = ()   # each wait for a sound that was not ready, in order


@dataclass(frozen=True)
class Ended:
    result: SessionResult


Event = Started | StepChanged | Caption | Progress | Paused | Resumed | Waiting | Listening | Heard | Ended
EventCallback = Callable[[Event], None]
