"""Preparing a session: resolve the routine, pick a voice, get spoken lengths, hand back what plays.

Where lengths come from: measured from the audio cache when every clip is there (then `show`,
`export` and `play` agree to the millisecond), estimated from the text otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from coach.library import resolve
from coach.model import CompileOptions
from coach.timeline.compiler import compile_timeline
from coach.timeline.estimate import estimate_spoken_ms
from coach.timeline.model import Timeline


@dataclass(frozen=True)
class VoiceChoice:
    """What the user asked for; None means the default for the purpose."""

    engine: str | None = None
    voice: str | None = None
    rate: int | None = None


@dataclass(frozen=True)
class Prepared:
    timeline: Timeline
    clip_for: Callable[[str], "object"]   # text -> int16 numpy array at SAMPLE_RATE


def compile_ref(ref: str, options: CompileOptions) -> Timeline:
    """The timeline of a built-in name or script path, with lengths estimated from the text."""
    return compile_timeline(resolve(ref), estimate_spoken_ms, options, lengths_from="estimate")
