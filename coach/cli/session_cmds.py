"""Commands that run a session: play (and live)."""

from __future__ import annotations

import click

from coach.cli import cli, compile_options, timing_options


@cli.command()
@click.argument("routine")
@timing_options
def play(routine: str, verbosity: str, hold_scale: float, breath_scale: float) -> None:
    """Play a routine from the audio cache (for now: shows its timeline).

    \b
    Example:
      coach play child-pose
    """
    from coach.render_text import format_timeline
    from coach.session import compile_ref

    timeline = compile_ref(routine, compile_options(verbosity, hold_scale, breath_scale))
    click.echo(format_timeline(timeline))
