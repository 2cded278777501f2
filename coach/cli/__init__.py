"""The command line: parses options, calls one library function, prints. The only package using click.

Heavy modules (speech engines, numpy, audio devices) are imported inside the commands that need
them, so `coach --help` and `coach list` start instantly and work without them.
"""

from __future__ import annotations

import click

from coach.errors import CoachError, ScriptError
from coach.vocab import VERBOSITIES


def timing_options(func):
    """--verbosity and the timing overrides, shared by every command that compiles a routine."""
    func = click.option("--breath-scale", type=click.FloatRange(0.5, 2.0), default=1.0, show_default=True,
                        help="Multiply every inhale and exhale: 1.25 breathes more slowly.")(func)
    func = click.option("--hold-scale", type=click.FloatRange(0.25, 4.0), default=1.0, show_default=True,
                        help="Multiply every timed hold: 1.5 holds half as long again.")(func)
    func = click.option("--verbosity", type=click.Choice(VERBOSITIES), default="full", show_default=True,
                        help="full: every instruction; brief: names, breathing, countdown; minimal: names and countdown.")(func)
    return func


def compile_options(verbosity: str, hold_scale: float, breath_scale: float, cleared: bool = False):
    from coach.model import CompileOptions

    return CompileOptions(verbosity=verbosity, hold_scale=hold_scale, breath_scale=breath_scale, cleared=cleared)


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


def main() -> None:
    cli(prog_name="coach")


# Each module adds its commands to `cli`; imported last so they can import what is above.
from coach.cli import audio_cmds, library_cmds, safety_cmds, session_cmds  # noqa: E402,F401
