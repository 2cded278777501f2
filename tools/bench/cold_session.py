"""One cold `play` session in this process, on the real session engine and a real voice, against a
clock sped up SPEED times and an output that only keeps time: how often the session had to wait for
the voice, and when what a safety stop says was ready.

    python -m tools.bench.cold_session ROUTINE ENGINE CACHE_DIR SPEED   (prints one JSON line)

Sped up, the voice has SPEED times less time to keep ahead than in a real session, so no wait at
SPEED x means none at 1x, with room to spare.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import numpy as np

from coach.audio_format import SAMPLE_RATE
from coach.library import resolve
from coach.model import CompileOptions
from coach.player import Player
from coach.safety import spoken_exit
from coach.session import VoiceChoice
from coach.session.prepare import prepare


class FastClock:
    def __init__(self, speed: float):
        self.speed = speed
        self._t0 = time.monotonic()

    def now_ms(self) -> float:
        return (time.monotonic() - self._t0) * 1000 * self.speed

    def sleep_until(self, deadline_ms: float, wake: threading.Event) -> bool:
        remaining_s = (deadline_ms - self.now_ms()) / 1000 / self.speed
        if remaining_s > 0 and wake.wait(min(remaining_s, 60)):
            return False
        return not wake.is_set() and self.now_ms() >= deadline_ms


class TimedOutput:
    """Plays nothing; is 'playing' for as long as the sound would last on the fast clock."""

    def __init__(self, clock: FastClock):
        self.clock = clock
        self.buffers = 0

    def play(self, pcm: np.ndarray) -> "_Handle":
        self.buffers += 1
        return _Handle(self.clock, self.clock.now_ms() + len(pcm) * 1000 / SAMPLE_RATE)


class _Handle:
    def __init__(self, clock: FastClock, end_ms: float):
        self.clock, self.end_ms = clock, end_ms

    def stop(self) -> None:
        self.end_ms = 0

    def is_playing(self) -> bool:
        return self.clock.now_ms() < self.end_ms


def main(argv: list[str]) -> int:
    routine, engine, cache_dir, speed = argv[0], argv[1], Path(argv[2]), float(argv[3])
    started = time.monotonic()
    # As run_session does: the voice first, its model loading on a thread while the session is planned.
    choice = VoiceChoice(engine)
    voice = choice.get("render")
    threading.Thread(target=voice.warm_up, daemon=True).start()
    prepared = prepare(resolve(routine), CompileOptions(), choice, cache_dir, "play", voice=voice)
    clock = FastClock(speed)
    try:
        result = Player(prepared.timeline, prepared.clip_for, TimedOutput(clock), clock=clock).run()
    finally:
        prepared.finish()
    clips = prepared.clips
    exit_ready = [clips.ready_at.get(t) for t in spoken_exit()] if clips else []
    print(json.dumps({
        "routine": routine, "engine": engine, "speed": speed, "ended": result.ended,
        "duration_s": prepared.timeline.duration_ms / 1000, "cues": len(result.late_ms),
        "waits": len(result.waited_ms), "waited_ms": [round(w, 1) for w in result.waited_ms],
        "rendered": clips.rendered if clips else 0,
        "exit_ready_s": None if None in exit_ready else round(max(exit_ready) - started, 2),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
