"""Commands over the script library: list, show, validate."""

from __future__ import annotations

import json
from pathlib import Path

import click

from coach.cli.ui import echo_rows
from coach.cli.options import compile_options, config_option, routine_argument, timing_options, voice_choice, voice_options
from coach.vocab import EQUIPMENT, FOCUS_AREAS


@click.command("list")
@click.option("--focus", type=click.Choice(FOCUS_AREAS), help="Only routines that work this area.")
@click.option("--equipment", type=click.Choice(EQUIPMENT),
              help="Only routines that use this equipment ('none': routines that need nothing).")
@click.option("--suitable", is_flag=True, help="Hide what your screening answers rule out.")
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@voice_options
def list_cmd(focus: str | None, equipment: str | None, suitable: bool, config_path: Path | None, as_json: bool,
             engine, voice, rate, cache_dir) -> None:
    """List the exercises and routines: the built-ins and yours.

    Yours (in your routines folder; 'coach new' starts one) are marked 'yours'; one with a built-in's
    name replaces it. What your screening answers rule out is marked 'not for you'.

    MIN is the length `show` gives for the voice: measured from the audio cache when the routine has
    been rendered for it, the engine's calibrated estimate otherwise.

    \b
    Examples:
      coach list --equipment chair
      coach list --suitable --focus lower-back
    """
    from coach.catalog import catalog
    from coach.library import personal_dir
    from coach.model import CompileOptions
    from coach.screening import Answers, default_config_path
    from coach.session.prepare import listed_duration

    rows = catalog(focus=focus, equipment=equipment,
                   duration_for=listed_duration(CompileOptions(), voice_choice(engine, voice, rate), cache_dir),
                   answers=Answers(config_path or default_config_path()).values)
    hidden = [r for r in rows if r.ruled_out_by] if suitable else []
    rows = [r for r in rows if r not in hidden]
    name_w = max((len(r.name) for r in rows), default=4)
    echo_rows(rows, as_json, "No routine matches those filters.",
              f"{'NAME':<{name_w}}  {'KIND':<8}  {'MIN':>4}  {'FOCUS':<30}  {'EQUIPMENT':<20}  NOTE",
              lambda r: f"{r.name:<{name_w}}  {r.kind:<8}  {r.duration_ms / 60000:>4.1f}  {_fit(r.focus, 30):<30}  "
                        f"{', '.join(r.equipment):<20}  {_note(r)}".rstrip())
    if as_json or not rows:
        return
    exercises = sum(r.kind == "exercise" for r in rows)
    routines = sum(r.kind == "routine" for r in rows)
    mine = sum(r.mine for r in rows)
    click.echo(f"{len(rows)} shown: {exercises} exercise{'' if exercises == 1 else 's'}, "
               f"{routines} routine{'' if routines == 1 else 's'}"
               + (f", {mine} of them yours" if mine else "")
               + (f"; {len(hidden)} hidden that your screening answers rule out" if hidden else ""))
    click.echo(f"Your routines folder: {personal_dir()}")


def _note(row) -> str:
    notes = [] if row.origin == "built-in" else [row.origin]
    if row.kind == "broken":
        notes = [row.origin, "does not load: " + row.title]
    if row.ruled_out_by:
        notes.append("not for you: " + ", ".join(row.ruled_out_by))
    return "; ".join(notes)


@click.command("new")
@click.argument("name")
@click.option("--from", "from_name", metavar="BUILTIN", help="Start from a copy of this built-in routine or exercise.")
def new(name: str, from_name: str | None) -> None:
    """Start a routine of your own in your routines folder, then edit it.

    Without --from, a commented routine to fill in; with it, a copy of a built-in to change. It then
    plays, shows and exports by NAME like a built-in; one with a built-in's name replaces it.

    \b
    Examples:
      coach new my-evening
      coach new child-pose --from child-pose
    """
    from coach.library import new_personal

    path = new_personal(name, from_name)
    click.echo(f"Wrote {path}; edit it, then: coach validate --strict {path} && coach play {name}")


@click.command()
@routine_argument()
@timing_options
@voice_options
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
def show(routine: str, verbosity: str, hold_scale: float, breath_scale: float, engine, voice, rate, cache_dir,
         as_json: bool) -> None:
    """Show a routine's timeline: every cue with its time, and the total.

    ROUTINE is a built-in name (see 'coach list') or a path to a script. Spoken lengths are measured
    from the audio cache when the routine has been rendered for this voice, estimated otherwise;
    the first line says which.

    \b
    Example:
      coach show child-pose --verbosity brief
    """
    from coach.library import resolve
    from coach.render_text import format_timeline
    from coach.session.prepare import preview_timeline

    options = compile_options(verbosity, hold_scale, breath_scale)
    timeline = preview_timeline(resolve(routine, options, rate), options, voice_choice(engine, voice, rate), cache_dir)
    if as_json:
        click.echo(json.dumps(timeline.to_json(), indent=2))
    else:
        click.echo(format_timeline(timeline))


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on the coaching lint's warnings too (exit 2).")
def validate(files: tuple[Path, ...], strict: bool) -> None:
    """Check scripts and report every problem as FILE:LINE: what is wrong; how to fix it.

    The coaching lint adds warnings (FILE:LINE: warning: ...): held breaths, movements with no time,
    breath cues too short for a breath, the movement before the starting position, directions that
    depend on the position, cues dropped for lack of room. They exit 0 unless --strict.

    \b
    Example:
      coach validate --strict my-routines/*.yaml
    """
    from coach.validate import validate_files

    result = validate_files(files)
    for problem in result.problems:
        click.echo(str(problem))
    if result.failures(strict):
        raise click.exceptions.Exit(_fail(result.failure(strict)))
    warned = len(result.warnings)
    click.echo(result.summary() + (f"; {warned} warning{'s' if warned != 1 else ''}" if warned else ""))


def _fit(words: tuple[str, ...], width: int) -> str:
    """As many words as fit in the column, then '+N' for the rest (--json has them all)."""
    for shown in range(len(words), 0, -1):
        text = ", ".join(words[:shown]) + (f" +{len(words) - shown}" if shown < len(words) else "")
        if len(text) <= width:
            return text
    return f"+{len(words)}"


def _fail(summary: str) -> int:
    click.echo(f"coach: {summary}", err=True)
    return 2


