"""What the CLI shows and asks on the terminal: progress bars, screening questions, session hooks."""

from __future__ import annotations

import sys
from typing import Any

import click

from coach.errors import UsageError
from coach.vocab import CONDITIONS


class Stages:
    """Progress bars on a terminal (nothing when piped), one per stage: the library reports
    progress(done, total), the CLI draws. A bar closes when its work is done or another stage starts."""

    def __init__(self) -> None:
        self.shown = sys.stderr.isatty()
        self._bar: Any = None   # click's ProgressBar (its class is not public)

    def stage(self, label: str):
        def report(done: int, total: int) -> None:
            if not self.shown or total <= 0:
                return
            if self._bar is None or self._bar.label != label:
                self.close()
                self._bar = click.progressbar(length=total, label=label, file=sys.stderr)
                self._bar.__enter__()
            self._bar.update(done - self._bar.pos)
            if done >= total:  # finished: off the screen before anything else is drawn
                self.close()

        return report

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def screening_asker():
    """The screening question on a terminal, or None when there is no one to ask."""
    return _ask if sys.stdin.isatty() else None


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


def warn(text: str) -> None:
    click.echo(f"coach: {text}", err=True)


def echo_rows(rows, as_json: bool, empty: str, header: str, line) -> None:
    """A listing: JSON (each row's to_json()), or `empty` when there are none, or a header and line(row)s."""
    if as_json:
        import json

        click.echo(json.dumps([row.to_json() for row in rows], indent=2))
    elif not rows:
        click.echo(empty)
    else:
        click.echo(header)
        for row in rows:
            click.echo(line(row))
