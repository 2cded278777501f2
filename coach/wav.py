"""The one WAV reader/writer: coach's clips, exported WAVs, and what engines hand back.

coach writes exactly one layout, 16-bit mono PCM at SAMPLE_RATE with the canonical 44-byte header
(any tool reads it), and reads it back strictly: a clip whose header or length is off is treated as
missing, never half-trusted. Foreign WAVs (an engine's output, a recording) are read with `read_frames`.
"""

from __future__ import annotations

import struct
import wave
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import numpy as np

from coach.audio_format import CHANNELS, SAMPLE_RATE, SAMPLE_WIDTH

_HEADER = struct.Struct("<4sI4s4sIHHIIHH4sI")   # RIFF, WAVE, "fmt " (PCM, 16 bytes), "data"
HEADER_BYTES = _HEADER.size


def header(data_bytes: int) -> bytes:
    """The canonical header for `data_bytes` bytes of coach's PCM."""
    block_align = CHANNELS * SAMPLE_WIDTH
    return _HEADER.pack(b"RIFF", 36 + data_bytes, b"WAVE", b"fmt ", 16, 1, CHANNELS, SAMPLE_RATE,
                        SAMPLE_RATE * block_align, block_align, 8 * SAMPLE_WIDTH, b"data", data_bytes)


def pcm_bytes(samples: np.ndarray) -> bytes:
    if samples.ndim != 1 or samples.dtype != np.int16:
        raise ValueError(f"a clip must be 1-D int16 PCM, not {samples.dtype} with shape {samples.shape}")
    return samples.astype("<i2", copy=False).tobytes()


def wav_bytes(samples: np.ndarray) -> bytes:
    """A whole WAV file in memory."""
    data = pcm_bytes(samples)
    return header(len(data)) + data


def write_stream(chunks: Iterable[np.ndarray], out: IO[bytes], total_samples: int) -> None:
    """Stream a WAV of exactly `total_samples` samples: the header goes first (no seek back needed)."""
    out.write(header(total_samples * SAMPLE_WIDTH))
    for chunk in chunks:
        out.write(pcm_bytes(np.ascontiguousarray(chunk, dtype=np.int16)))


def read_clip(path: Path) -> np.ndarray | None:
    """The samples, or None if the file is missing, truncated, or not exactly coach's format."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    body = len(data) - HEADER_BYTES
    if body <= 0 or body % SAMPLE_WIDTH or data[:HEADER_BYTES] != header(body):
        return None
    return np.frombuffer(bytearray(data[HEADER_BYTES:]), dtype="<i2").astype(np.int16, copy=False)


def clip_length_samples(path: Path) -> int | None:
    """Like read_clip, but checks only the header against the file size (no sample data is read)."""
    try:
        with path.open("rb") as f:
            head = f.read(HEADER_BYTES)
            body = f.seek(0, 2) - HEADER_BYTES
    except OSError:
        return None
    if body <= 0 or body % SAMPLE_WIDTH or head != header(body):
        return None
    return body // SAMPLE_WIDTH


def read_frames(path: Path | str) -> tuple[bytes, int, int, int]:
    """Any PCM WAV: (frames, channels, sample width in bytes, frame rate)."""
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes()), wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
