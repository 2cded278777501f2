"""The speech-engine interface, and the PCM rules every engine shares."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from coach.audio_format import SAMPLE_RATE, ms_to_samples
from coach.errors import EngineError, UsageError

DEFAULT_RATE_WPM = 175   # espeak-ng's own default; Piper's natural pace is about the same
MIN_RATE_WPM = 80        # espeak-ng clamps to 80..450; the same range keeps Piper's length_scale sane
MAX_RATE_WPM = 450

MARGIN_MS = 30           # silence kept before and after the speech, so spoken length means something
SILENCE_LEVEL = 164      # |sample| at or below this counts as silence (about -46 dBFS)
TRIM_IDENTITY = f"trim={MARGIN_MS}ms@{SILENCE_LEVEL}"  # part of every cache identity: trimming shapes the clip


@dataclass(frozen=True)
class VoiceSpec:
    """Everything needed to build the same voice again, in another process too (it pickles)."""

    engine: str
    voice: str            # a resolved voice id (or, for Piper, an absolute .onnx path)
    rate: int | None      # words a minute; None = the engine's natural pace


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    name: str
    languages: tuple[str, ...]


class Voice(ABC):
    """One engine + voice + rate. `render` returns int16 mono PCM at SAMPLE_RATE, trimmed to MARGIN_MS."""

    spec: VoiceSpec

    @abstractmethod
    def render(self, text: str) -> np.ndarray:
        """Speak one cue. Raises EngineError when the engine fails or produces no sound."""

    @abstractmethod
    def list_voices(self) -> list[VoiceInfo]:
        """The voices this engine offers."""

    @abstractmethod
    def cache_identity(self) -> str:
        """Everything that changes the sound: engine and model versions, voice, rate, settings.

        Must be cheap: a cache hit must not load a model.
        """


def check_rate(rate: int | None) -> int | None:
    if rate is None:
        return None
    if isinstance(rate, bool) or not isinstance(rate, int):
        raise UsageError(f"speech rate must be a whole number of words a minute, not {rate!r}")
    if not MIN_RATE_WPM <= rate <= MAX_RATE_WPM:
        raise UsageError(f"speech rate {rate} is out of range: use {MIN_RATE_WPM} to {MAX_RATE_WPM} words a minute")
    return rate


def check_text(text: str) -> str:
    """A cue's text with surrounding blanks removed; blank text is a caller bug, not a user error."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("cannot render blank text")
    return stripped


def trim_silence(samples: np.ndarray, margin_ms: int = MARGIN_MS, level: int = SILENCE_LEVEL) -> np.ndarray:
    """Cut leading/trailing silence to exactly `margin_ms` each side (padding with zeros if there was less).

    All-silent input gives an empty array.
    """
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > level)
    if loud.size == 0:
        return np.zeros(0, dtype=np.int16)
    margin = ms_to_samples(margin_ms)
    first, last = int(loud[0]), int(loud[-1]) + 1
    kept = samples[max(0, first - margin):min(len(samples), last + margin)]
    pad_before = margin - min(margin, first)
    pad_after = margin - min(margin, len(samples) - last)
    return np.concatenate([
        np.zeros(pad_before, dtype=np.int16), kept.astype(np.int16, copy=False), np.zeros(pad_after, dtype=np.int16),
    ])


def pcm_from_frames(frames: bytes, channels: int, sample_width: int, frame_rate: int) -> np.ndarray:
    """Raw little-endian PCM frames of any common width/channel count -> int16 mono at SAMPLE_RATE."""
    if frame_rate != SAMPLE_RATE:
        raise EngineError(f"the engine produced {frame_rate} Hz audio; coach needs {SAMPLE_RATE} Hz")
    if channels < 1 or sample_width not in (1, 2, 3, 4) or len(frames) % (channels * sample_width):
        raise EngineError(f"the engine produced unreadable audio ({channels} channels, {sample_width}-byte samples)")
    if sample_width == 1:  # WAV 8-bit is unsigned
        wide = (np.frombuffer(frames, dtype=np.uint8).astype(np.int32) - 128) << 8
    elif sample_width == 2:
        wide = np.frombuffer(frames, dtype="<i2").astype(np.int32)
    elif sample_width == 3:
        raw = np.frombuffer(frames, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        wide = ((raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)) << 8 >> 8) >> 8  # sign-extend, keep top 16 bits
    else:
        wide = np.frombuffer(frames, dtype="<i4").astype(np.int64) >> 16
    if channels > 1:
        wide = wide.reshape(-1, channels).mean(axis=1)
    return np.clip(np.round(wide), -32768, 32767).astype(np.int16)

