"""coach must never obey its own voice: while it plays a sound (and for a short tail after, while the
room's echo dies away) the microphone's audio is not listened to.

The gate is fed by the output itself (GatedOutput wraps whatever output the player uses), so it knows
exactly when each buffer starts and how long it lasts, speech and tones alike.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from coach.audio_format import SAMPLE_RATE
from coach.player.output import Output, PlayHandle

TAIL_MS = 300    # after a sound ends: the device's own buffer (about 100 ms) plus a room's echo


class SpeechGate:
    """Is coach making a sound at monotonic time t (plus the tail)? Safe to use from any thread."""

    def __init__(self, tail_ms: int = TAIL_MS, clock=time.monotonic):
        self.tail_s = tail_ms / 1000
        self._clock = clock
        self._lock = threading.Lock()
        self._until = 0.0

    def sounding(self, duration_s: float) -> None:
        """A sound of this length starts now."""
        with self._lock:
            self._until = max(self._until, self._clock() + duration_s + self.tail_s)

    def silenced(self) -> None:
        """The sound was stopped early: only the tail is left."""
        with self._lock:
            self._until = min(self._until, self._clock() + self.tail_s)

    def closed(self, at: float | None = None) -> bool:
        """True while coach is sounding (or its tail is): what the microphone hears then is ignored."""
        with self._lock:
            return (self._clock() if at is None else at) < self._until


class _GatedHandle:
    def __init__(self, handle: PlayHandle, gate: SpeechGate):
        self._handle = handle
        self._gate = gate

    def stop(self) -> None:
        self._handle.stop()
        self._gate.silenced()

    def is_playing(self) -> bool:
        return self._handle.is_playing()


class GatedOutput:
    """An output that tells the gate about every sound it plays."""

    def __init__(self, output: Output, gate: SpeechGate):
        self._output = output
        self.gate = gate

    def play(self, pcm: np.ndarray) -> PlayHandle:
        self.gate.sounding(len(pcm) / SAMPLE_RATE)
        return _GatedHandle(self._output.play(pcm), self.gate)
