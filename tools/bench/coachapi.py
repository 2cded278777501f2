"""Every part of coach's session and compile API the bench uses, in one place: when coach renames a
session function, this module is the only one to change."""

from __future__ import annotations

from pathlib import Path

from coach.library import resolve
from coach.model import CompileOptions
from coach.session.prepare import Prepared, estimated_timeline, prepare
from coach.session.voice import VoiceChoice
from coach.timeline.model import Timeline

__all__ = ["CompileOptions", "Prepared", "compile_ref", "prepare_export"]


def compile_ref(ref: str, options: CompileOptions = CompileOptions()) -> Timeline:
    """The timeline of a built-in name or script path, with lengths estimated from the text."""
    return estimated_timeline(resolve(ref), options)


def prepare_export(ref: str, engine: str, cache_dir: Path) -> Prepared:
    """What `coach export REF --engine ENGINE --cache-dir DIR` mixes: resolved, rendered into the cache
    where clips are missing, compiled on the measured lengths."""
    return prepare(resolve(ref), CompileOptions(), VoiceChoice(engine), cache_dir, "export")
