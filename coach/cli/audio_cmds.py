"""Commands that make sound files: voices, render, export, cache."""

from __future__ import annotations

import os
from pathlib import Path

import click

from coach.cli.options import (
    background_options, cache_dir_option, compile_options, format_option, hold_sound_option, loudness_option, routine_argument,
    screening_options, timing_options, voice_choice, voice_options,
)
from coach.cli.ui import Stages, screening_asker

VOICES_SHOWN = 60


@click.command()
@click.option("--all", "show_all", is_flag=True, help=f"List every voice (by default the first {VOICES_SHOWN} of each engine).")
def voices(show_all) -> None:
    """List the speech engines and their voices.

    \b
    Examples:
      coach voices
      coach voices --all
    """
    from coach.speech import list_engines

    for engine in list_engines():
        state = "available" if engine.available else f"not available: {engine.reason}"
        click.echo(f"{engine.name} ({state}); default voice: {engine.default_voice or '-'}")
        shown = engine.voices if show_all else engine.voices[:VOICES_SHOWN]
        for v in shown:
            click.echo(f"  {v.id:<28} {v.name}")
        if len(engine.voices) > len(shown):
            click.echo(f"  ... and {len(engine.voices) - len(shown)} more (coach voices --all lists them)")


@click.command()
@routine_argument(nargs=-1)
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
    from coach.library import builtin_names, resolve
    from coach.session.prepare import render_routines

    names = list(routines) + (list(builtin_names()) if render_all else [])
    if not names:
        raise click.UsageError("name at least one routine, or pass --all")
    options = compile_options(verbosity, hold_scale, breath_scale)
    resolved = [resolve(name, options, rate) for name in names]
    with Stages() as stages:
        summary = render_routines(resolved, options,
                                  voice_choice(engine, voice, rate), cache_dir, jobs, stages.stage("Rendering"))
    click.echo(f"Rendered {summary.routines} routine(s) with {summary.engine}: "
               f"{summary.clips} clips, {summary.size_bytes / 1e6:.1f} MB in {summary.cache_root}")


@click.command()
@routine_argument()
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="The file to write (.mp3 or .wav).")
@format_option
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@loudness_option
@timing_options
@hold_sound_option
@voice_options
@background_options
@screening_options
def export(routine, output, fmt, force, loudness_lufs, verbosity, hold_scale, breath_scale, hold_sound, engine, voice,
           rate, cache_dir, background, background_level, config_path, yes, cleared) -> None:
    """Export a whole routine as one MP3 (a chapter per exercise) or WAV, with a .vtt transcript.

    \b
    Examples:
      coach export morning-back -o back.mp3
      coach export bedtime-unwind -o night.mp3 --background rain --background-level -34
      coach export desk-break -o desk.mp3 --loudness -23 --hold-sound tick
    """
    from coach.library import resolve
    from coach.session.export import export_routine

    options = compile_options(verbosity, hold_scale, breath_scale, cleared, hold_sound)
    resolved = resolve(routine, options, rate)
    with Stages() as stages:
        result, exported = export_routine(
            resolved, output, options=options,
            voice=voice_choice(engine, voice, rate), cache_dir=cache_dir, fmt=fmt, force=force, loudness_lufs=loudness_lufs,
            config_path=config_path, assume_none=yes, ask=screening_asker(),
            render_progress=stages.stage("Rendering"), export_progress=stages.stage("Exporting"),
            background=background, background_level_db=background_level)
    click.echo(f"Wrote {result.path} ({result.duration_ms / 60000:.1f} min, {result.size_bytes / 1e6:.1f} MB, "
               f"{len(exported.timeline.chapters)} chapters) and {result.vtt_path}")


@click.group(invoke_without_command=True)
@cache_dir_option
@click.pass_context
def cache(ctx, cache_dir) -> None:
    """Show the audio cache: clips, size, and this run's hit rate.

    \b
    Example:
      coach cache
      coach cache prune
    """
    from coach.session.voice import open_cache

    ctx.obj = open_cache(cache_dir)
    if ctx.invoked_subcommand is None:
        stats = ctx.obj.stats()
        click.echo(f"{ctx.obj.root}: {stats.clips} clips, {stats.size_bytes / 1e6:.1f} MB")
        if stats.hits + stats.misses:
            click.echo(f"hit rate {stats.hits / (stats.hits + stats.misses):.0%} ({stats.hits} hits, {stats.misses} misses)")


@cache.command()
@timing_options
@voice_options
@click.option("--dry-run", is_flag=True, help="Only say how many clips would go; delete nothing.")
@click.pass_obj
def prune(clip_cache, verbosity, hold_scale, breath_scale, engine, voice, rate, cache_dir, dry_run) -> None:
    """Remove clips that no routine uses, built-in or yours (for this voice and these options).

    \b
    Examples:
      coach cache prune --dry-run
      coach cache prune --engine espeak
    """
    from coach.library import all_names, resolve
    from coach.session.prepare import prune_unused
    from coach.session.voice import open_cache

    # `coach cache prune --cache-dir B` prunes B; without it, the group's folder (its option or the env).
    if click.get_current_context().get_parameter_source("cache_dir") == click.core.ParameterSource.COMMANDLINE:
        clip_cache = open_cache(cache_dir)
    before = clip_cache.stats().clips
    removed = prune_unused([resolve(name) for name in all_names()], compile_options(verbosity, hold_scale, breath_scale),
                           voice_choice(engine, voice, rate), clip_cache, dry_run=dry_run)
    if dry_run:
        click.echo(f"Would remove {removed} clip(s) no routine uses; {before - removed} would stay. Nothing deleted.")
    else:
        click.echo(f"Removed {removed} clip(s) no routine uses; {clip_cache.stats().clips} kept.")
