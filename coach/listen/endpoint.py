"""Where an utterance starts and ends in a stream of 30 ms frames.

A frame is speech when Silero VAD says so (coach.listen.vad: it hears speech as loud as the noise).
The energy test, kept for comparison (COACH_LISTEN_VAD=energy): pocketsphinx's voice-activity detector
says so AND the frame is louder than the room, SPEECH_ABOVE_FLOOR_DB over the noise floor (a low
percentile of the last few seconds' frame levels); that detector alone takes steady noise (a fan,
rain, traffic) for speech and then never hears an utterance end. An utterance starts after
START_FRAMES speech frames in a row (with PREROLL_FRAMES kept from before, so its first sound is not
lost) and ends after END_FRAMES quiet ones.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from coach.listen.microphone import FRAME_BYTES, FRAME_S, RATE
START_FRAMES = 3             # 90 ms of speech opens an utterance (a click does not)
END_FRAMES = 7               # 210 ms of quiet closes it: what an action waits after the last word
PREROLL_FRAMES = 8           # 240 ms kept from before the start: soft onsets ("help", "how long")
SPEECH_ABOVE_FLOOR_DB = 8.0
FLOOR_PERCENTILE = 10
FLOOR_FRAMES = 100           # 3 s of history for the noise floor
QUIET_DB = -60.0             # the floor never goes below this (digital silence)
VAD_MODE = 3                 # the detector's strictest setting


@dataclass(frozen=True)
class Piece:
    """What one frame did: audio to hand to the recognizer, and whether an utterance started or ended."""

    audio: bytes = b""
    started: bool = False
    ended: bool = False
    onset_s: float = 0.0     # stream time the speech began (the first of the START_FRAMES)
    end_s: float = 0.0       # stream time the speech ended (the first quiet frame)
    quiet_before_s: float = float("inf")   # at a start: how long since the last utterance's speech ended


class Endpointer:
    def __init__(self) -> None:
        from coach.listen import vad

        self._silero = vad.SileroVad() if vad.wanted() else None
        if self._silero is None:
            from pocketsphinx import Vad  # heavy: only when listening

            self._vad = Vad(VAD_MODE, RATE, FRAME_S)
        self._levels: deque[float] = deque(maxlen=FLOOR_FRAMES)
        self._preroll: deque[bytes] = deque(maxlen=PREROLL_FRAMES)
        self._run = 0              # speech frames in a row (before a start) or quiet ones (inside)
        self._pending: list[bytes] = []
        self.in_speech = False
        self._frames = 0
        # stream time the last speech frame inside an utterance ended: a click or a fricative alone is
        # not talk (the "s" of "skip" comes as one speech frame, then the closure, then the rest)
        self._last_speech_s = float("-inf")

    def push(self, frame: bytes) -> Piece:
        self._frames += 1
        now = self._frames * FRAME_S
        level = level_db(frame)
        floor = max(QUIET_DB, float(np.percentile(self._levels, FLOOR_PERCENTILE))) if self._levels else QUIET_DB
        self._levels.append(level)
        if self._silero is not None:   # works in noise: no level test (coach.listen.vad)
            speech = self._silero.is_speech(frame)
        else:
            speech = level > floor + SPEECH_ABOVE_FLOOR_DB and self._vad.is_speech(frame)
        if not self.in_speech:
            if not speech:
                self._run, self._pending = 0, []
                self._preroll.append(frame)
                return Piece()
            self._run += 1
            self._pending.append(frame)
            if self._run < START_FRAMES:
                return Piece()
            self.in_speech, self._run = True, 0
            audio = b"".join(self._preroll) + b"".join(self._pending)
            onset_s = now - len(self._pending) * FRAME_S
            self._preroll.clear()
            self._pending = []
            quiet_before_s = onset_s - self._last_speech_s
            self._last_speech_s = now
            return Piece(audio, started=True, onset_s=onset_s, quiet_before_s=quiet_before_s)
        if speech:
            self._run = 0
            self._last_speech_s = now
            return Piece(frame)
        self._run += 1
        if self._run < END_FRAMES:
            return Piece(frame)
        self.in_speech, self._run = False, 0
        return Piece(frame, ended=True, end_s=now - END_FRAMES * FRAME_S)


def level_db(frame: bytes) -> float:
    """A frame's RMS level in dBFS (digital silence: about -90)."""
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    rms = float(np.sqrt(np.mean(samples ** 2))) if len(samples) else 0.0
    return 20 * np.log10(max(rms, 1.0) / 32768)


def snr_db(audio: bytes) -> float:
    """How far an utterance's loud frames stand over its quiet ones (its look-back and its end are the
    room): the 90th minus the 10th percentile of its 30 ms frame levels, in dB."""
    size = FRAME_BYTES
    levels = [level_db(audio[i:i + size]) for i in range(0, len(audio) - size + 1, size)]
    if not levels:
        return 0.0
    return float(np.percentile(levels, 90) - np.percentile(levels, 10))
