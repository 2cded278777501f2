"""Commands that make sound files: voices, render, export, cache."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from coach.cli import cli, compile_options, timing_options
from coach.cli.safety_cmds import screen, screening_options


def voice_options(func):
    """--engine, --voice, --rate and --cache-dir, shared by every command that speaks."""
    func = click.option("--cache-dir", type=click.Path(path_type=Path), envvar="COACH_CACHE_DIR",
                        help="Where rendered clips live (default: audio_cache/; env COACH_CACHE_DIR).")(func)
    func = click.option("--rate", type=click.IntRange(80, 400), help="Speaking rate in words a minute (default 175).")(func)
    func = click.option("--voice", help="A voice id from 'coach voices', or a Piper .onnx file.")(func)
    func = click.option("--engine", type=click.Choice(["espeak", "piper"]),
                        help="Speech engine (default: piper when installed for rendering, espeak for live).")(func)
    return func


def voice_choice(engine, voice, rate):
    from coach.session import VoiceChoice

    return VoiceChoice(engine, voice, rate)


class Bar:
    """A progress bar on a terminal, nothing when piped: the library reports, the CLI draws."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.shown = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.shown or total <= 0:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@cli.command()
def voices() -> None:
    """List the speech engines and their voices.

    \b
    Example:
      coach voices
    """
    from coach.speech import list_engines

    for engine in list_engines():
        state = "available" if engine.available else f"not available: {engine.reason}"
        click.echo(f"{engine.name} ({state}); default voice: {engine.default_voice or '-'}")
        for v in engine.voices[:60]:
            click.echo(f"  {v.id:<28} {v.name}")
        if len(engine.voices) > 60:
            click.echo(f"  ... and {len(engine.voices) - 60} more")


@cli.command()
@click.argument("routines", nargs=-1)
@click.option("--all", "render_all", is_flag=True, help="Render every built-in routine and exercise.")
@timing_options
@voice_options
@click.option("--jobs", type=click.IntRange(1, 16), default=os.cpu_count() or 1, show_default=True,
              help="Processes rendering at once.")
def render(routines, render_all, verbosity, hold_scale, breath_scale, engine, voice, rate, cache_dir, jobs) -> None:
    """Pre-render routines into the audio cache, so play and export start at once.

    \b
    Example:
      coach render morning-back desk-break
      coach render --all --engine espeak
    """
    from coach.cache import ClipCache
    from coach.library import builtin_names, resolve
    from coach.safety import spoken_exit
    from coach.session import default_cache_dir, measured_timeline
    from coach.speech import get_voice

    names = list(routines) + (list(builtin_names()) if render_all else [])
    if not names:
        raise click.UsageError("name at least one routine, or pass --all")
    choice = voice_choice(engine, voice, rate)
    speaker = get_voice(choice.engine, choice.voice, choice.rate, "render")
    cache = ClipCache(cache_dir or default_cache_dir())
    options = compile_options(verbosity, hold_scale, breath_scale)
    bar = Bar("Rendering")
    try:
        for name in names:
            measured_timeline(resolve(name), options, speaker, cache, progress=bar, jobs=jobs)
        # What a safety stop says, so that `play` on a rendered cache starts without rendering.
        cache.render_many(speaker, spoken_exit(), jobs=jobs)
    finally:
        bar.close()
    cache.record_usage()
    stats = cache.stats()
    click.echo(f"Rendered {len(names)} routine(s) with {speaker.spec.engine}: "
               f"{stats.clips} clips, {stats.bytes / 1e6:.1f} MB in {cache.root}")


@cli.command()
@click.argument("routine")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The file to write (.mp3 or .wav).")
@click.option("--format", "fmt", type=click.Choice(["mp3", "wav"]), help="Default: from the file name.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@timing_options
@voice_options
@screening_options
def export(routine, output, fmt, force, verbosity, hold_scale, breath_scale, engine, voice, rate, cache_dir,
           config_path, yes, cleared) -> None:
    """Export a whole routine as one MP3 (a chapter per exercise) or WAV, with a .vtt transcript.

    \b
    Example:
      coach export morning-back -o back.mp3
    """
    from coach.export import export_timeline
    from coach.library import resolve
    from coach.session import prepare_session

    screen(resolve(routine), yes, cleared, config_path)
    options = compile_options(verbosity, hold_scale, breath_scale, cleared)
    bar = Bar("Rendering")
    try:
        prepared = prepare_session(routine, options, voice_choice(engine, voice, rate), cache_dir, "export", bar)
    finally:
        bar.close()
    bar = Bar("Exporting")
    try:
        result = export_timeline(prepared.timeline, prepared.clip_for, output, fmt=fmt, force=force,
                                 tags={"title": prepared.routine.title}, progress=bar)
    finally:
        bar.close()
        prepared.finish()
    click.echo(f"Wrote {result.path} ({result.duration_ms / 60000:.1f} min, {result.bytes / 1e6:.1f} MB, "
               f"{len(prepared.timeline.chapters)} chapters) and {result.vtt_path}")


@cli.group(invoke_without_command=True)
@click.option("--cache-dir", type=click.Path(path_type=Path), envvar="COACH_CACHE_DIR",
              help="The cache folder (default: audio_cache/; env COACH_CACHE_DIR).")
@click.pass_context
def cache(ctx, cache_dir) -> None:
    """Show the audio cache: clips, size, and this run's hit rate.

    \b
    Example:
      coach cache
      coach cache prune
    """
    from coach.cache import ClipCache
    from coach.session import default_cache_dir

    ctx.obj = ClipCache(cache_dir or default_cache_dir())
    if ctx.invoked_subcommand is None:
        stats = ctx.obj.stats()
        click.echo(f"{ctx.obj.root}: {stats.clips} clips, {stats.bytes / 1e6:.1f} MB")
        if stats.hits + stats.misses:
            click.echo(f"hit rate {stats.hits / (stats.hits + stats.misses):.0%} ({stats.hits} hits, {stats.misses} misses)")


@cache.command()
@timing_options
@voice_options
@click.pass_obj
def prune(clip_cache, verbosity, hold_scale, breath_scale, engine, voice, rate, cache_dir) -> None:
    """Remove clips that no built-in routine uses (for this voice and these options).

    \b
    Example:
      coach cache prune --engine espeak
    """
    from coach.library import builtin_names, resolve
    from coach.safety import spoken_exit
    from coach.session import texts_to_render
    from coach.speech import get_voice
    from coach.timeline.estimate import estimate_spoken_ms

    speaker = get_voice(engine, voice, rate, "render")
    options = compile_options(verbosity, hold_scale, breath_scale)
    keep = set()
    for name in builtin_names():
        routine = resolve(name)
        # Estimated lengths ask for every form the compiler might choose; measured ones only add the
        # few texts that depend on them (the minutes in the introduction), so ask both ways.
        texts = texts_to_render(routine, options, estimate_spoken_ms)
        texts |= texts_to_render(routine, options, lambda t: _cached_or_estimated_ms(clip_cache, speaker, t))
        keep |= {clip_cache.key(speaker, t) for t in texts}
    keep |= {clip_cache.key(speaker, t) for t in spoken_exit()}   # every play may need them
    removed = clip_cache.prune(keep, identity=speaker.cache_identity())
    click.echo(f"Removed {removed} clip(s) no routine uses; {clip_cache.stats().clips} kept.")


def _cached_or_estimated_ms(clip_cache, speaker, text: str) -> int:
    from coach.timeline.estimate import estimate_spoken_ms

    if clip_cache.get(speaker, text) is None:
        return estimate_spoken_ms(text)
    return clip_cache.spoken_ms(speaker, text)
