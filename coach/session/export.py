"""`coach export`: a whole routine, screened, rendered and written to one audio file and a transcript."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from coach import model as m
from coach.progress import ProgressFn
from coach.screening import AskFn
from coach.session import prepare as preparing
from coach.session.voice import VoiceChoice

if TYPE_CHECKING:
    from coach.export import ExportResult


def export_routine(routine: m.Routine, out_path: Path, *, options: m.CompileOptions = m.CompileOptions(),
                   voice: VoiceChoice = VoiceChoice(), cache_dir: Path | None = None, fmt: str | None = None,
                   force: bool = False, config_path: Path | None = None, assume_none: bool = False,
                   ask: AskFn | None = None, render_progress: ProgressFn | None = None,
                   export_progress: ProgressFn | None = None, background: str | None = None,
                   background_level_db: float | None = None,
                   loudness_lufs: float | None = None) -> tuple[ExportResult, preparing.Prepared]:
    """Screen, render what is missing, and write `out_path` (+ .vtt), with `background` (a built-in
    bed or a file) under the voice when given, speech at loudness_lufs (default: what play uses). Returns the result and what was exported (its
    timeline gives the chapters)."""
    from coach.background.bed import background_for
    from coach.export import export_timeline
    from coach.export.writer import check_output
    from coach.screening import Answers, default_config_path, screen

    # A bad output path or background is found before screening questions or minutes of rendering
    # (the writer checks the output again when it writes: it may have changed meanwhile).
    check_output(out_path, fmt, force)
    bed = background_for(background, background_level_db)
    screen(routine, Answers(config_path or default_config_path()), options.cleared, assume_none, ask)
    prepared = preparing.prepare(routine, options, voice, cache_dir, "export", render_progress)
    try:
        result = export_timeline(prepared.timeline, prepared.clip_for, out_path, fmt=fmt, force=force,
                                 tags={"title": routine.title}, progress=export_progress, background=bed,
                                 loudness_lufs=loudness_lufs)
    finally:
        prepared.finish()
    return result, prepared
