"""`coach completion`: tab completion for bash, zsh and fish, from click's own completion support."""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the tab-completion script for SHELL: commands, options and routine names complete.

    \b
    Examples:
      coach completion bash >> ~/.bashrc     # or: eval "$(coach completion bash)"
      coach completion zsh >> ~/.zshrc
    """
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    assert completer is not None  # every name in SHELLS is one click knows
    root = ctx.find_root().command
    click.echo(completer(root, {}, "coach", "_COACH_COMPLETE").source())
