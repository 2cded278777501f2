"""coach listen: the voice commands, and a microphone check that prints what it hears."""

from __future__ import annotations

import time

import click

from coach.listen.commands import help_lines

LISTEN_HELP = "\b\n" + "\n".join(help_lines()) + """

Say a command on its own, in a pause between coach's sentences: coach does not listen while it
speaks (so it never obeys its own voice). With --wake-word, start each with "coach": "coach, pause".
Turn listening on with 'coach play ROUTINE --listen', or "listen": true in the config file.

Run on its own, this command checks the microphone: it listens and prints each command it hears
(nothing is done) until Ctrl-C, or for --seconds. COACH_MIC chooses an ALSA capture device other
than "default".

\b
Examples:
  coach listen --seconds 20
  coach play morning-back --listen
"""


@click.command("listen", help="Voice commands: what to say, and a microphone check.\n\n" + LISTEN_HELP)
@click.option("--seconds", type=click.FloatRange(min=0.5), help="Stop after this long (default: until Ctrl-C).")
@click.option("--wake-word/--no-wake-word", default=False, help='Require "coach" before each command.')
def listen(seconds: float | None, wake_word: bool) -> None:
    from coach.listen.listener import HeardCommand, Listener

    def show(heard: HeardCommand) -> None:
        click.echo(f"heard: {heard.heard.phrase} -> {heard.heard.command} "
                   f"(confidence {heard.heard.confidence:+.1f}, {heard.latency_ms:.0f} ms after you stopped speaking)")

    with Listener(show, wake_word=wake_word) as listener:
        listener.ready.wait()
        if listener.error is not None:
            raise click.ClickException(f"cannot listen: {listener.error}")
        click.echo("Listening. Say a command; Ctrl-C to stop.", err=True)
        deadline = None if seconds is None else time.monotonic() + seconds
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.05)
        except KeyboardInterrupt:
            pass
