"""Silero VAD (the model faster-whisper ships) on a stream of 30 ms frames: speech or not, in noise.

The endpointer's default. The energy test it replaced needs speech 8 dB over the noise floor, which
speech as loud as the noise never has: at 0 dB SNR it opened an utterance on 52 of 120 commands, 2 of
them with most of the word. Silero opened 120 of 120 (118 with most of the word) at 3.6 ms of CPU per
second of audio (one thread), so it can run on every frame (docs/voice-commands.md). VAD_ENV=energy
selects the energy test (to compare them); so does an install without faster-whisper.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

import numpy as np

VAD_ENV = "COACH_LISTEN_VAD"
CHUNK = 512                  # the model's window at 16 kHz (32 ms)
CONTEXT = 64                 # samples of the previous chunk it is given
SPEECH_PROB_MIN = 0.5


def wanted() -> bool:
    """Whether the endpointer uses Silero (default) rather than the energy test."""
    if os.environ.get(VAD_ENV, "silero") == "energy":
        return False
    return importlib.util.find_spec("faster_whisper") is not None


class SileroVad:
    def __init__(self) -> None:
        from faster_whisper.vad import SileroVADModel, get_assets_path  # heavy: only when listening

        self._model: Any = SileroVADModel(os.path.join(get_assets_path(), "silero_vad_v6.onnx"))
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self.prob = 0.0          # the latest chunk's speech probability

    def is_speech(self, frame: bytes) -> bool:
        """Whether the latest whole 32 ms chunk, up to this 30 ms frame, is speech."""
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float32) / 32768
        self._pending = np.concatenate([self._pending, samples])
        while len(self._pending) >= CHUNK:
            chunk, self._pending = self._pending[:CHUNK], self._pending[CHUNK:]
            out, self._h, self._c = self._model.session.run(
                None, {"input": np.concatenate([self._context, chunk])[None, :], "h": self._h, "c": self._c})
            self.prob = float(np.asarray(out).ravel()[0])
            self._context = chunk[-CONTEXT:]
        return self.prob >= SPEECH_PROB_MIN
