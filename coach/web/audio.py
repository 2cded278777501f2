"""A session as an MP3 stream: mixed and encoded while it is sent, from any point of the timeline.

The same mix as `coach export` and `coach play` (coach.mix.mix_range: sample for sample), cut into
short pieces at first so the first bytes leave within milliseconds, then longer ones. A clip still
being synthesized is waited for inside clip_for; the browser's buffer covers it, and the page follows
the audio's own clock, so a late clip delays sound and view together.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from coach.mix import ClipProvider, mix_range
from coach.timeline.model import Timeline

# Piece lengths: the first ones short (the first sound is what the person waits for), then up to 5 s.
PIECE_MS = (250, 500, 1_000, 2_000, 5_000)


def pcm_pieces(timeline: Timeline, clip_for: ClipProvider, from_ms: int = 0) -> Iterator[np.ndarray]:
    start_ms = max(0, min(int(from_ms), timeline.duration_ms))
    i = 0
    while start_ms < timeline.duration_ms:
        end_ms = min(start_ms + PIECE_MS[min(i, len(PIECE_MS) - 1)], timeline.duration_ms)
        yield mix_range(timeline, clip_for, start_ms, end_ms)
        start_ms, i = end_ms, i + 1


def mp3_stream(timeline: Timeline, clip_for: ClipProvider, from_ms: int = 0) -> Iterator[bytes]:
    from coach.export.mp3 import iter_mp3

    return iter_mp3(pcm_pieces(timeline, clip_for, from_ms))
