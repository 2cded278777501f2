"""Safety commands (safety, screening, history) and the screening step every session goes through."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from coach.cli import cli
from coach.errors import UsageError
from coach.vocab import CONDITIONS


def config_option(func):
    return click.option("--config", "config_path", type=click.Path(path_type=Path), envvar="COACH_CONFIG",
                        help="Screening answers file (default: your user config folder; env COACH_CONFIG).")(func)


def history_option(func):
    return click.option("--history-db", type=click.Path(path_type=Path), envvar="COACH_HISTORY_DB",
                        help="Session history database (default: your user data folder; env COACH_HISTORY_DB).")(func)


def screening_options(func):
    """--yes, --cleared and --config, for every command that produces a session."""
    func = click.option("--cleared", is_flag=True,
                        help="Your doctor or therapist approved this routine despite a condition it names.")(func)
    func = click.option("--yes", "-y", is_flag=True,
                        help="Answer 'none of these apply to me' to the screening questions (for scripts).")(func)
    return config_option(func)


def screen(routine, yes: bool, cleared: bool, config_path: Path | None):
    """Ask once about the conditions the routine names; refuse when one applies and not --cleared.
    Returns the remembered answers (they also carry the daily limit)."""
    from coach.screening import Answers, default_config_path, evaluate, refusal_message

    answers = Answers(config_path or default_config_path())
    verdict = evaluate(routine, answers.values, cleared)
    if verdict.unanswered:
        if yes:
            answers.record({c: False for c in verdict.unanswered})
        elif not sys.stdin.isatty():
            raise UsageError(f"'{routine.name}' first asks about health conditions, and there is no terminal to "
                             f"answer on; run it in a terminal, or pass --yes if none of these apply to you: "
                             + "; ".join(CONDITIONS[c] for c in verdict.unanswered))
        else:
            answers.record(_ask(routine, verdict.unanswered))
        verdict = evaluate(routine, answers.values, cleared)
    if verdict.blocking:
        raise UsageError(refusal_message(routine, verdict.blocking))
    return answers


def _ask(routine, conditions: tuple[str, ...]) -> dict[str, bool]:
    click.echo(f"Before '{routine.title}': these movements are not advised for people with some conditions.")
    for i, cond in enumerate(conditions, 1):
        click.echo(f"  {i}. {CONDITIONS[cond]}")
    click.echo("Your answers are remembered; 'coach screening --reset' forgets them.")
    for _ in range(3):
        reply = click.prompt("Type the numbers that apply to you (e.g. 1 3), or press Enter if none do",
                             default="", show_default=False)
        picked = reply.replace(",", " ").split()
        if all(p.isdigit() and 1 <= int(p) <= len(conditions) for p in picked):
            chosen = {conditions[int(p) - 1] for p in picked}
            return {c: c in chosen for c in conditions}
        click.echo(f"Please type numbers from 1 to {len(conditions)}, or just press Enter.")
    raise UsageError("no usable answer to the screening question; run the command again")


@cli.command()
def safety() -> None:
    """Print what to do if you need to stop, and when to see a doctor.

    \b
    Example:
      coach safety
    """
    from coach.safety import guidance_text

    click.echo(guidance_text())


@cli.command()
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


@cli.command()
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
    if as_json:
        click.echo(json.dumps([r.to_json() for r in rows], indent=2))
        return
    if not rows:
        click.echo("No sessions yet.")
        return
    click.echo(f"{'#':>4}  {'ROUTINE':<30}  {'MODE':<6}  {'STARTED':<25}  {'ENDED':<25}  OUTCOME")
    for r in rows:
        click.echo(f"{r.id:>4}  {r.routine:<30}  {r.mode:<6}  {r.started_at:<25}  {r.ended_at or '-':<25}  {r.outcome}")
