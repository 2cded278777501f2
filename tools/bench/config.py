"""Where things are, how often each figure is measured, and the two profiles (full and quick)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coach import speech

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"
COACH = str(VENV / "bin" / "coach")
PYTHON = str(VENV / "bin" / "python")

RUNS = 3
LONG_S = 30.0            # a run longer than this is not repeated (cold renders of the whole library)
STARTUP_RUNS = 10
ENGINES = tuple(sorted(speech.ENGINES))   # espeak first: the order the report has always listed them in
# Routines built for the export benchmark cycle through these (a mix of positions, holds, breathing
# and repetitions); repeating a few exercises keeps the warm-up render short for both voices.
CYCLE = ("cat-cow", "child-pose", "pelvic-tilt", "knee-to-chest", "supine-spinal-twist", "prone-press-up",
         "superman")
POLL_S = 0.002           # how often the capture file is looked at for the first sound
PLAY_TIMEOUT_S = 900
STOP_ATTEMPTS = 4        # Ctrl-Cs sent to stop a play session after its first sound
STOP_WAIT_S = 1.0


@dataclass(frozen=True)
class Profile:
    name: str
    lengths_min: tuple[int, ...]       # built routines for the export benchmark
    library: tuple[str, ...] | None    # cold render: these names, or None for --all
    session_routine: str               # play, live and the audio check
    first_sound: tuple[str, ...]       # first sound, cold and warm
    cold_sessions: tuple[tuple[str, float], ...]   # whole cold sessions: (routine, clock speed)


# Whole cold sessions: every built-in routine at 4x (the voice gets a quarter of the time it has in a
# real session), and child-pose in real time.
ROUTINES = ("bedtime-unwind", "desk-break", "lower-back-relief", "morning-back", "upper-back-release")
FULL = Profile("full", (15, 60), None, "desk-break", ("child-pose", "desk-break", "morning-back"),
               (("child-pose", 1.0),) + tuple((r, 4.0) for r in ROUTINES))
QUICK = Profile("quick", (5, 15), ("child-pose",), "child-pose", ("child-pose",), (("child-pose", 4.0),))


class BenchError(Exception):
    pass
