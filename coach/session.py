"""Compiling a routine for a session: picks where spoken lengths come from."""

from __future__ import annotations

from coach.library import resolve
from coach.model import CompileOptions
from coach.timeline.compiler import compile_timeline
from coach.timeline.estimate import estimate_spoken_ms
from coach.timeline.model import Timeline


def compile_ref(ref: str, options: CompileOptions) -> Timeline:
    """The timeline of a built-in name or script path, with lengths estimated from the text."""
    return compile_timeline(resolve(ref), estimate_spoken_ms, options, lengths_from="estimate")
