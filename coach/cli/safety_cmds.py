"""Safety commands: safety, screening, history."""

from __future__ import annotations

from pathlib import Path

import click

from coach.cli.options import config_option, history_option
from coach.cli.ui import echo_rows
from coach.vocab import CONDITIONS


@click.command()
def safety() -> None:
    """Print what to do if you need to stop, and when to see a doctor.

    \b
    Example:
      coach safety
    """
    from coach.safety import guidance_text

    click.echo(guidance_text())


@click.command()
@config_option
@click.option("--reset", is_flag=True, help="Forget every answer; you will be asked again.")
def screening(config_path: Path | None, reset: bool) -> None:
    """Show (or reset) your answers to the screening questions.

    \b
    Example:
      coach screening --reset
    """
    from coach.screening import Answers, default_config_path

    answers = Answers(config_path or default_config_path())
    if reset:
        answers.reset()
        click.echo(f"Screening answers forgotten ({answers.path}).")
        return
    if not answers.values:
        click.echo("No screening answers yet: you will be asked before your next session.")
        return
    for cond, has in answers.values.items():
        click.echo(f"  {'yes' if has else 'no ':<3}  {CONDITIONS[cond]}")
    click.echo(f"Daily limit per routine: {answers.daily_limit} starts. File: {answers.path}")


@click.command()
@history_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="How many sessions to show.")
def history(history_db: Path | None, as_json: bool, limit: int) -> None:
    """Show past sessions: routine, start, end, and how each ended.

    \b
    Example:
      coach history --limit 5
    """
    from coach.history import History, default_history_path

    rows = History(history_db or default_history_path()).rows(limit)
    echo_rows(rows, as_json, "No sessions yet.",
              f"{'#':>4}  {'ROUTINE':<30}  {'MODE':<6}  {'STARTED':<25}  {'ENDED':<25}  OUTCOME",
              lambda r: f"{r.id:>4}  {r.routine:<30}  {r.mode:<6}  {r.started_at:<25}  {r.ended_at or '-':<25}  {r.outcome}")
