"""PCM helpers every engine uses: trimming silence to a fixed margin, and reading raw frames."""

from __future__ import annotations

import numpy as np

from coach.audio_format import SAMPLE_RATE, ms_to_samples
from coach.errors import EngineError
from coach.speech.base import MARGIN_MS, SILENCE_LEVEL


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

