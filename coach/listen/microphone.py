"""The microphone: ALSA capture through pyalsaaudio, 16 kHz mono 16-bit, read in the endpointer's frames.

Reads never run ahead of the wall clock. A real device delivers in real time anyway; ALSA's `file`
plugin (how the tests and benchmarks feed recorded commands in as a microphone, see
docs/voice-commands.md) would otherwise hand over a whole file at once, and the session would hear
every command at its first second.
"""

from __future__ import annotations

import os
import time
from typing import Any

from coach.errors import AudioInputError
from coach.player.output import open_alsa_pcm

RATE = 16_000          # pocketsphinx's en-us acoustic model is trained on 16 kHz
FRAME_BYTES = 960      # 30 ms of 16-bit mono at 16 kHz: the endpointer's frame
FRAME_S = FRAME_BYTES / 2 / RATE
DEVICE_ENV = "COACH_MIC"   # an ALSA capture device other than "default", e.g. "hw:1,0"


class Microphone:
    """An open capture stream. read() returns the next FRAME_BYTES of audio, paced to real time."""

    def __init__(self, device: str | None = None, clock=time.monotonic, sleep=time.sleep):
        self.device = device or os.environ.get(DEVICE_ENV) or "default"
        self._clock, self._sleep = clock, sleep
        self._pcm: Any = None
        self._pending = b""
        self._frames_read = 0
        self.started = 0.0      # monotonic time of the first sample

    def open(self) -> Microphone:
        self._pcm = open_alsa_pcm(
            True, self.device, RATE, FRAME_BYTES // 2, 4,
            missing=lambda exc: AudioInputError(f"voice commands need pyalsaaudio ({exc}); run scripts/setup, "
                                                f"or leave out --listen and use the keys"),
            unavailable=lambda exc: AudioInputError(
                f"no microphone: ALSA cannot open the capture device '{self.device}' ({exc}); the session plays "
                f"on, controlled by the keys (set {DEVICE_ENV} to choose another device)"))
        self.started = self._clock()
        return self

    def read(self) -> bytes:
        """The next 30 ms frame; blocks until it is due."""
        while len(self._pending) < FRAME_BYTES:
            length, data = self._pcm.read()
            if length < 0:   # an overrun: ALSA dropped audio we were too slow for; carry on
                continue
            self._pending += data
        frame, self._pending = self._pending[:FRAME_BYTES], self._pending[FRAME_BYTES:]
        self._frames_read += 1
        due = self.started + self._frames_read * FRAME_S
        wait = due - self._clock()
        if wait > 0:
            self._sleep(wait)
        return frame

    def close(self) -> None:
        if self._pcm is not None:
            self._pcm.close()
            self._pcm = None
