"""The command line: parses options, calls one library function, prints. The only module using click.

Heavy modules (speech engines, numpy, audio devices) are imported inside the commands that need
them, so `coach --help` and `coach list` start instantly and work without them.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from coach.errors import CoachError, ScriptError
from coach.vocab import EQUIPMENT, FOCUS_AREAS, VERBOSITIES

SESSION_LIMIT_MS = 2 * 60 * 60 * 1000


def timing_options(func):
    """--verbosity and the timing overrides, shared by every command that compiles a routine."""
    func = click.option("--breath-scale", type=click.FloatRange(0.5, 2.0), default=1.0, show_default=True,
                        help="Multiply every inhale and exhale: 1.25 breathes more slowly.")(func)
    func = click.option("--hold-scale", type=click.FloatRange(0.25, 4.0), default=1.0, show_default=True,
                        help="Multiply every timed hold: 1.5 holds half as long again.")(func)
    func = click.option("--verbosity", type=click.Choice(VERBOSITIES), default="full", show_default=True,
                        help="full: every instruction; brief: names, breathing, countdown; minimal: names and countdown.")(func)
    return func


def compile_options(verbosity: str, hold_scale: float, breath_scale: float):
    from coach.model import CompileOptions

    return CompileOptions(verbosity=verbosity, hold_scale=hold_scale, breath_scale=breath_scale)


class _Failure(click.ClickException):
    """A CoachError on its way out: one clean message, the error's exit code, no traceback."""

    def __init__(self, message: str, exit_code: int, plain: bool = False):
        super().__init__(message)
        self.exit_code = exit_code
        self.plain = plain

    def show(self, file=None) -> None:
        click.echo(self.message if self.plain else f"coach: {self.message}", err=True)


class CoachGroup(click.Group):
    """Turns the library's one exception family (and Ctrl-C) into exit codes, for every command."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ScriptError as exc:
            raise _Failure("\n".join(str(p) for p in exc.problems), exc.exit_code, plain=True) from None
        except CoachError as exc:
            raise _Failure(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise _Failure("stopped", 130) from None


@click.group(cls=CoachGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="coach")
def cli() -> None:
    """coach: voice-guided back-stretching routines, hands-free on the floor.

    \b
    Examples:
      coach list --focus lower-back
      coach show child-pose
      coach validate my-routine.yaml
    """


@cli.command("list")
@click.option("--focus", type=click.Choice(FOCUS_AREAS), help="Only routines that work this area.")
@click.option("--equipment", type=click.Choice(EQUIPMENT),
              help="Only routines that use this equipment ('none': routines that need nothing).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
def list_cmd(focus: str | None, equipment: str | None, as_json: bool) -> None:
    """List the built-in exercises and routines.

    \b
    Example:
      coach list --equipment chair
    """
    from coach.catalog import catalog

    rows = catalog(focus=focus, equipment=equipment)
    if as_json:
        click.echo(json.dumps([row.to_json() for row in rows], indent=2))
        return
    if not rows:
        click.echo("No routine matches those filters.")
        return
    name_w = max(len(r.name) for r in rows)
    click.echo(f"{'NAME':<{name_w}}  {'KIND':<8}  {'MIN':>4}  {'FOCUS':<30}  EQUIPMENT")
    for r in rows:
        click.echo(f"{r.name:<{name_w}}  {r.kind:<8}  {r.duration_ms / 60000:>4.1f}  {', '.join(r.focus):<30}  {', '.join(r.equipment)}")
    click.echo(f"{len(rows)} shown: {sum(r.kind == 'exercise' for r in rows)} exercises, "
               f"{sum(r.kind == 'routine' for r in rows)} routines")


@cli.command()
@click.argument("routine")
@timing_options
@click.option("--json", "as_json", is_flag=True, help="Print the timeline as JSON.")
def show(routine: str, verbosity: str, hold_scale: float, breath_scale: float, as_json: bool) -> None:
    """Show a routine's timeline: every cue with its time, and the total.

    ROUTINE is a built-in name (see 'coach list') or a path to a script.

    \b
    Example:
      coach show child-pose --verbosity brief
    """
    from coach.render_text import format_timeline
    from coach.session import compile_ref

    timeline = compile_ref(routine, compile_options(verbosity, hold_scale, breath_scale))
    if as_json:
        click.echo(json.dumps(timeline.to_json(), indent=2))
    else:
        click.echo(format_timeline(timeline))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check scripts and report every problem as FILE:LINE: what is wrong; how to fix it.

    \b
    Example:
      coach validate my-routines/*.yaml
    """
    from coach.validate import validate_files

    result = validate_files(files, session_limit_ms=SESSION_LIMIT_MS)
    for problem in result.problems:
        click.echo(str(problem))
    if result.problems:
        bad = len({p.path for p in result.problems})
        raise click.exceptions.Exit(_fail(f"{len(result.problems)} problem(s) in {bad} of {len(files)} file(s)"))
    click.echo(result.summary())


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


def _fail(summary: str) -> int:
    click.echo(f"coach: {summary}", err=True)
    return 2


def main() -> None:
    cli(prog_name="coach")
