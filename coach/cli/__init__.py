"""The command line: parses options, calls one library function, prints. The only package using click.

Heavy modules (speech engines, numpy, audio devices) are imported inside the commands that need
them, so `coach --help` and `coach list` start instantly and work without them.
"""

from __future__ import annotations

import click

from coach.errors import CoachError, ScriptError


class _Failure(click.ClickException):
    """A CoachError on its way out: one clean message, the error's exit code, no traceback."""

    def __init__(self, message: str, exit_code: int, plain: bool = False):
        super().__init__(message)
        # click declares exit_code on the class; each of our errors carries its own.
        self.exit_code = exit_code  # type: ignore[misc]
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


# Every command of coach. Imported last: the modules import click
# options, not `cli`, so adding a command is a function in a module and one entry here.
from coach.cli import (  # noqa: E402
    audio_cmds, library_cmds, listen_cmds, plan_cmds, safety_cmds, serve_cmds, session_cmds, shell_cmds,
)

COMMANDS: tuple[click.Command, ...] = (
    library_cmds.list_cmd, library_cmds.show, library_cmds.validate, library_cmds.new,
    plan_cmds.plan, session_cmds.play, session_cmds.live, listen_cmds.listen, serve_cmds.serve,
    audio_cmds.export, audio_cmds.render, audio_cmds.voices, audio_cmds.cache,
    safety_cmds.safety, safety_cmds.screening, safety_cmds.history, safety_cmds.stats,
    shell_cmds.completion,
)
for _command in COMMANDS:
    cli.add_command(_command)
