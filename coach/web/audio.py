"""A session as an MP3 stream: mixed and encoded while it is sent, from any point of the timeline.

The same mix as `coach export` and `coach play` (coach.mix.mix_range: sample for sample), cut into
short pieces at first so the first bytes leave within milliseconds, then longer ones. A clip still
being synthesized is waited for inside clip_for; the browser's buffer covers it, and the page follows
the audio's own clock, so a late clip delays sound and view together.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from coach.mix import ClipProvider, mix_range
from coach.timeline.model import Timeline

if TYPE_CHECKING:
    from coach.background import Background

# Piece lengths: the first ones short (the first sound is what the person waits for), then up to 5 s.
PIECE_MS = (250, 500, 1_000, 2_000, 5_000)


def pcm_pieces(timeline: Timeline, clip_for: ClipProvider, from_ms: int = 0,
               background: Background | None = None) -> Iterator[np.ndarray]:
    """The mix from from_ms on, with the background bed under it as `coach export` puts it. A piece
    also ends where a sentence starts: all the sound before it (the opening bell, a pause) goes out
    before the wait for a clip still being synthesized."""
    start_ms = max(0, min(int(from_ms), timeline.duration_ms))
    sentence_starts = sorted({c.start_ms for c in timeline.cues if c.is_speech and c.text})
    i = 0
    while start_ms < timeline.duration_ms:
        end_ms = min(start_ms + PIECE_MS[min(i, len(PIECE_MS) - 1)], timeline.duration_ms)
        at = bisect_right(sentence_starts, start_ms)
        if at < len(sentence_starts) and sentence_starts[at] < end_ms:
            end_ms = sentence_starts[at]
        yield mix_range(timeline, clip_for, start_ms, end_ms, background=background)
        start_ms, i = end_ms, i + 1


def mp3_stream(timeline: Timeline, clip_for: ClipProvider, from_ms: int = 0,
               background: Background | None = None) -> Iterator[bytes]:
    from coach.export.mp3 import iter_mp3

    return iter_mp3(pcm_pieces(timeline, clip_for, from_ms, background))
