"""`coach plan`: a routine made for you from the library, shown, saved or played."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from coach.cli.options import config_option, history_option, timing_options, voice_options
from coach.cli.ui import warn
from coach.exercise_index import PLACES, PLAN_MINUTES
from coach.vocab import EQUIPMENT, FOCUS_AREAS


@click.command("plan")
@click.option("--minutes", type=click.IntRange(*PLAN_MINUTES), required=True, help="How long the session should last.")
@click.option("--for", "focus", type=click.Choice(FOCUS_AREAS),
              help="Where it should help (default: what you did least this week).")
@click.option("--place", type=click.Choice(tuple(PLACES)), help="Where you are: only exercises that start there.")
@click.option("--equipment", multiple=True, type=click.Choice(EQUIPMENT),
              help="What you have beside a mat (repeatable); exercises that need anything else are left out.")
@click.option("--gentle", is_flag=True, help="No strong extensions or deep twists; holds at the lower end.")
@click.option("--seed", type=int, help="The same seed, history and answers give the same plan (default: a new one).")
@click.option("--save", "save_name", metavar="NAME", help="Write it into your routines folder as NAME.yaml.")
@click.option("--script", "print_script", is_flag=True, help="Print the routine script (YAML) instead of the summary.")
@click.option("--no-progress", is_flag=True, help="Holds as the scripts have them, not as your history suggests.")
@click.option("--play", "play_now", is_flag=True,
              help="Play it now, as 'coach play' would; the options below are for that session.")
@config_option
@history_option
@timing_options
@voice_options
@click.option("--yes", "-y", is_flag=True, help="With --play: answer 'none of these apply to me' to the screening.")
@click.pass_context
def plan(ctx: click.Context, minutes: int, focus: str | None, place: str | None, equipment: tuple[str, ...],
         gentle: bool, seed: int | None, save_name: str | None, print_script: bool, no_progress: bool,
         play_now: bool, config_path: Path | None, history_db: Path | None, verbosity: str, hold_scale: float,
         breath_scale: float, engine: str | None, voice: str | None, rate: int | None, cache_dir: Path | None,
         yes: bool) -> None:
    """Make a routine for you: the minutes, the area and the place you ask for, without what your
    screening answers rule out, ordered with the fewest changes of position, varied from day to day.
    The minutes are met at full verbosity and the scripts' own pace; --verbosity, --hold-scale and
    --breath-scale then change the session --play plays.

    \b
    Examples:
      coach plan --minutes 10 --for lower-back --place floor
      coach plan --minutes 5 --place desk --save desk-five
      coach plan --minutes 15 --for mid-back --equipment foam-roller --play
    """
    from coach.plan import PlanRequest

    if save_name:
        from coach.errors import UsageError
        from coach.script import name_problem

        why = name_problem(save_name)
        if why:
            raise UsageError(f"--save: {why}")
    if seed is None:
        seed = _new_seed()
    request = PlanRequest(minutes, focus, place, tuple(equipment), gentle, seed, name=save_name or "planned-routine")
    made, text = made_plan(request, config_path, history_db, no_progress)
    click.echo(text if print_script else _summary(made), nl=not print_script)
    saved: Path | None = None
    if save_name:
        from coach.library import save_personal

        saved = save_personal(save_name, text)
        click.echo(f"Saved as {saved}: coach play {save_name}", err=print_script)
    if not play_now:
        return
    from coach.cli import session_cmds

    with _script_file(text, request.name, saved) as path:
        ctx.invoke(session_cmds.play, routine=path, config_path=config_path, history_db=history_db,
                   no_progress=no_progress, verbosity=verbosity, hold_scale=hold_scale, breath_scale=breath_scale,
                   engine=engine, voice=voice, rate=rate, cache_dir=cache_dir, yes=yes)


def made_plan(request, config_path: Path | None, history_db: Path | None, no_progress: bool):
    """(the plan, its script text) for this person, its notes shown; UsageError when nothing fits."""
    from coach.plan import script_text
    from coach.plan.inputs import plan_from_files

    made, notes = plan_from_files(request, config_path, history_db, progress=not no_progress)
    for note in notes:
        warn(note)
    if not made.chosen:
        from coach.errors import UsageError

        raise UsageError("no exercise fits these choices" + _left_out_line(made.left_out)
                         + "; ask for another place or more equipment")
    if made.why_not:
        warn(f"could not meet {request.minutes} minutes within 10%: {made.why_not}")
    return made, script_text(made)


@contextmanager
def planned_script(spec: str, config_path: Path | None, history_db: Path | None,
                   no_progress: bool) -> Iterator[tuple[str, str]]:
    """`coach play --plan SPEC`: the plan made and its summary shown; while in the block, its script's
    path and how to export the same plan (for a machine that cannot play)."""
    from coach.plan.spec import parse_spec
    from coach.plan.writer import command_line

    request = parse_spec(spec, _new_seed())
    made, text = made_plan(request, config_path, history_db, no_progress)
    click.echo(_summary(made, hint=False))
    with _script_file(text, request.name) as path:
        yield path, f"{command_line(request)} --save my-plan; coach export my-plan -o my-plan.mp3"


@contextmanager
def _script_file(text: str, name: str, saved: Path | None = None) -> Iterator[str]:
    """The plan's script as a file while in the block: the saved one, else a temporary copy."""
    if saved is not None:
        yield str(saved)
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="coach-plan-") as folder:
        path = Path(folder) / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        yield str(path)


def _new_seed() -> int:
    import random

    return random.SystemRandom().randrange(1_000_000)


def _summary(made, hint: bool = True) -> str:
    lines = [f"{made.script.title}: {made.duration_ms / 60000:.1f} minutes, {made.position_changes} change"
             f"{'' if made.position_changes == 1 else 's'} of position (seed {made.request.seed})"]
    for number, chosen in enumerate(made.chosen, 1):
        values = ", ".join(f"{_KNOB_WORDS[k]} {v}" for k, v in chosen.values)
        lines.append(f"  {number}. {chosen.exercise.title:<36} {chosen.position:<13} {values}".rstrip())
    lines += [f"Left out: {name} ({why})" for name, why in made.left_out]
    if hint:
        lines.append("Save it with --save NAME, see the script with --script, or play it with --play.")
    return "\n".join(lines)


_KNOB_WORDS = {"hold_s": "hold (s)", "breaths": "breaths", "reps": "repetitions"}


def _left_out_line(left_out) -> str:
    return (" (left out: " + "; ".join(f"{n}: {why}" for n, why in left_out[:3])
            + (f"; {len(left_out) - 3} more" if len(left_out) > 3 else "") + ")") if left_out else ""
