"""Measuring voice commands on recorded audio: detection in noise, false triggers, latency.

Everything runs through coach.listen's own loop (Utterances: endpointer, gate, recognizer), fed frame by
frame from arrays instead of a microphone, so it runs faster than real time and every figure is about
the same code a session uses. Used by scripts/bench (section `listen`) and by tests/test_listen.py.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from coach.listen.commands import PHRASE_COMMANDS
from coach.listen.listener import Utterances
from coach.listen.microphone import FRAME_BYTES, FRAME_S, RATE
from coach.listen.recognizer import CommandRecognizer
from coach.speech.base import MARGIN_MS

FRAME_SAMPLES = FRAME_BYTES // 2
LEAD_S, TAIL_S = 0.6, 1.0        # quiet before and after each command in a detection trial

# Short things people say on a mat that are not commands: the hard case for false accepts.
NOT_COMMANDS = ("okay", "yes", "no", "thank you", "that feels good", "hold on", "one more", "breathe in",
                "breathe out", "relax", "three", "two", "one", "left side", "right side", "rest", "release",
                "good", "slowly", "hello", "what", "hang on", "nice", "all right", "ouch", "wait", "done",
                "ready", "let go", "switch", "lower", "higher", "later", "not now", "come on", "easy", "stay",
                "keep going", "that's enough", "my back hurts")


@dataclass(frozen=True)
class Trial:
    voice: str
    phrase: str
    snr_db: float | None     # None: no noise
    heard: str | None        # the command acted on, if any
    latency_ms: float | None

    @property
    def expected(self) -> str:
        return PHRASE_COMMANDS[self.phrase]

    @property
    def correct(self) -> bool:
        return self.heard == self.expected


def render_16k(engine: str, texts: Iterable[str], voice: str | None = None, rate: int | None = None) -> list[np.ndarray]:
    """Each text spoken by the engine, at the recognizer's 16 kHz."""
    from coach.audio_format import SAMPLE_RATE
    from coach.speech import get_voice
    from tools import asr

    v = get_voice(engine, voice, rate)
    return [asr.resample_for_recognizer(v.render(t), SAMPLE_RATE) for t in texts]


def pink_noise(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    k = np.arange(len(spectrum), dtype=np.float64)
    k[0] = 1.0
    return np.fft.irfft(spectrum / np.sqrt(k), n)


def with_noise(signal: np.ndarray, reference: np.ndarray, snr_db: float | None, seed: int) -> np.ndarray:
    """signal plus pink noise snr_db below reference's level (the command's own speech)."""
    out = signal.astype(np.float64)
    if snr_db is not None:
        noise = pink_noise(len(out), seed)
        level = np.sqrt(np.mean(reference.astype(np.float64) ** 2))
        out += noise * level / np.sqrt(np.mean(noise ** 2)) / 10 ** (snr_db / 20)
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def listen_through(audio: np.ndarray, recognizer: CommandRecognizer, gate=None) -> list[tuple[float, str, str, float]]:
    """Every command heard in 16 kHz audio: (decided at, in seconds of the audio; phrase; command;
    seconds spent deciding). gate: anything with closed(at_s) in seconds of the audio."""
    utterances = Utterances(recognizer, gate, clock=lambda: 0.0)
    heard = []
    frames = len(audio) // FRAME_SAMPLES
    data = np.ascontiguousarray(audio[: frames * FRAME_SAMPLES], dtype="<i2").tobytes()
    for i in range(frames):
        frame_end = (i + 1) * FRAME_S
        started = time.perf_counter()
        got = utterances.push(data[i * FRAME_BYTES:(i + 1) * FRAME_BYTES], frame_end, 0.0)
        if got is not None:
            heard.append((frame_end, got.heard.phrase, got.heard.command, time.perf_counter() - started))
    return heard


def detection_trials(clips: dict[tuple[str, str], np.ndarray], snrs: Sequence[float | None],
                     recognizer: CommandRecognizer) -> list[Trial]:
    """Each clip (voice, phrase) -> 16 kHz int16, said once between quiet stretches, in each noise level.
    Latency: from the end of the speech to the decision, plus the time the decision took to compute."""
    trials = []
    for seed, ((voice, phrase), clip) in enumerate(clips.items()):
        lead, tail = np.zeros(int(LEAD_S * RATE)), np.zeros(int(TAIL_S * RATE))
        for snr in snrs:
            audio = with_noise(np.concatenate([lead, clip, tail]), clip, snr, seed)
            speech_end = LEAD_S + (len(clip) / RATE) - MARGIN_MS / 1000
            heard = listen_through(audio, recognizer)
            first = heard[0] if heard else None
            latency = None if first is None else (first[0] - speech_end + first[3]) * 1000
            trials.append(Trial(voice, phrase, snr, first[2] if first else None, latency))
    return trials


class IntervalGate:
    """The gate a session would have had: closed during each sound (start, end in seconds) plus its tail."""

    def __init__(self, sounds: Iterable[tuple[float, float]], tail_s: float):
        self._spans = sorted((start, end + tail_s) for start, end in sounds)
        self._starts = [s for s, _ in self._spans]

    def closed(self, at: float) -> bool:
        i = bisect_right(self._starts, at) - 1
        return i >= 0 and at < self._spans[i][1]


def with_gaps(clips: Iterable[np.ndarray], gap_s: float) -> np.ndarray:
    gap = np.zeros(int(gap_s * RATE), dtype=np.int16)
    parts = []
    for clip in clips:
        parts += [clip.astype(np.int16), gap]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
