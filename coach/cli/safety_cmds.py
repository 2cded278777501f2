"""Safety and progress commands: safety, screening, history, stats."""

from __future__ import annotations

from pathlib import Path

import click

from coach.cli.options import config_option, history_option
from coach.cli.ui import echo_rows, warn
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
@click.option("--set", "changes", multiple=True, metavar="CONDITION=yes|no",
              help=f"Change one answer (repeatable). Conditions: {', '.join(CONDITIONS)}.")
def screening(config_path: Path | None, reset: bool, changes: tuple[str, ...]) -> None:
    """Show, change or reset your answers to the screening questions.

    \b
    Examples:
      coach screening --set knee-injury=yes
      coach screening --reset
    """
    from coach.library import personal_dir
    from coach.screening import Answers, default_config_path, parse_change

    answers = Answers(config_path or default_config_path())
    if reset:
        answers.reset()
        click.echo(f"Screening answers forgotten ({answers.path}).")
        return
    if changes:
        answers.record(dict(parse_change(change) for change in changes))
    if not answers.values:
        click.echo("No screening answers yet: you will be asked before your next session.")
    for cond, has in answers.values.items():
        click.echo(f"  {'yes' if has else 'no ':<3}  {CONDITIONS[cond]}")
    click.echo(f"Daily limit per routine: {answers.daily_limit} starts. File: {answers.path}")
    click.echo(f"Your routines folder: {personal_dir()}")


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
    from datetime import date

    from coach.history import History, default_history_path
    from coach.stats import summarize, summary_lines

    history_file = History(history_db or default_history_path())
    rows = history_file.rows(limit)
    _tell(history_file.notes)
    if rows and not as_json:
        for line in summary_lines(summarize(history_file.rows(), date.today())):
            click.echo(line)
        click.echo("")
    echo_rows(rows, as_json, "No sessions yet.",
              f"{'#':>4}  {'ROUTINE':<30}  {'MODE':<6}  {'STARTED':<25}  {'ENDED':<25}  OUTCOME",
              lambda r: f"{r.id:>4}  {r.routine:<30}  {r.mode:<6}  {r.started_at:<25}  {r.ended_at or '-':<25}  {r.outcome}"
                        + (f" in {r.ended_in}" if r.ended_in and r.outcome != "completed" else "")
                        + (f", rated {r.rating}" if r.rating else ""))


@click.command()
@history_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--days", type=click.IntRange(7, 366), default=28, show_default=True, help="How many days back.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), metavar="FILE.png|FILE.svg",
              help="Also draw minutes per day into this image file.")
def stats(history_db: Path | None, as_json: bool, days: int, plot_path: Path | None) -> None:
    """Your progress: sessions and minutes this week, the streak of days, the routines done most,
    minutes per day as a chart, and each exercise's hold over time (with the next one proposed).

    \b
    Examples:
      coach stats
      coach stats --plot progress.png --days 56
    """
    from datetime import date

    from coach.history import History, default_history_path
    from coach.stats import summarize, summary_lines

    from coach.progression import hold_lines, holds_over_time

    history_file = History(history_db or default_history_path())
    rows = history_file.rows()
    summary = summarize(rows, date.today(), days)
    _tell(history_file.notes)
    if as_json:
        import json

        holds = {name: [{"date": d, "value": v} for d, v in seen] for name, seen in holds_over_time(rows).items()}
        click.echo(json.dumps({**summary.to_json(), "holds": holds}, indent=2))
    else:
        for line in summary_lines(summary, chart_days=min(days, 28)) + hold_lines(rows):
            click.echo(line)
    if plot_path is not None:
        from coach.stats_plot import plot_minutes

        plot_minutes(summary, plot_path)
        if not as_json:
            click.echo(f"Drew {plot_path}")


def _tell(notes: list[str]) -> None:
    """What happened to the history file (one moved aside as damaged), on stderr: --json stays clean."""
    for note in notes:
        warn(note)
