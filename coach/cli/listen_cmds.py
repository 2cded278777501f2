"""coach listen: the voice commands, a microphone check that prints what it hears, and --file: a
recording run through exactly what a session uses."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from coach.listen.backends import RECOGNIZER_MODULES
from coach.listen.commands import help_lines

LISTEN_HELP = "\b\n" + "\n".join(help_lines()) + """

Say a command on its own, in a pause between coach's sentences: coach does not listen while it
speaks (so it never obeys its own voice). With --wake-word, start each with "coach": "coach, pause".
Turn listening on with 'coach play ROUTINE --listen', or "listen": true in the config file
("listen_recognizer": "pocketsphinx" there picks the grammar recognizer: instant, less reliable).

Run on its own, this command checks the microphone: it listens and prints each command it hears
(nothing is done) until Ctrl-C, or for --seconds, with a level meter on a terminal. A microphone
that gives nothing but digital silence for 3 s (muted, or the wrong device) is said at once, and the
check then exits 1. COACH_MIC chooses an ALSA capture device other than "default". With --file it runs a recording of your room through the same endpointer, voicing
check and recognizer a session uses, and prints each command with where in the file the words ended
(--json: one JSON object a line).

\b
Examples:
  coach listen --seconds 20
  coach listen --file room.wav --json
  coach play morning-back --listen
"""


@click.command("listen", help="Voice commands: what to say, and a microphone check.\n\n" + LISTEN_HELP)
@click.option("--seconds", type=click.FloatRange(min=0.5), help="Stop after this long (default: until Ctrl-C).")
@click.option("--wake-word/--no-wake-word", default=False, help='Require "coach" before each command.')
@click.option("--file", "recording", type=click.Path(path_type=Path, dir_okay=False),
              help="A recording (WAV, FLAC, MP3) to run through the recognizer instead of the microphone.")
@click.option("--json", "as_json", is_flag=True, help="With --file: one JSON object a line.")
@click.option("--recognizer", type=click.Choice(list(RECOGNIZER_MODULES)), default=None,
              help="The recognizer (default: the config file's, else whisper).")
def listen(seconds: float | None, wake_word: bool, recording: Path | None, as_json: bool,
           recognizer: str | None) -> None:
    from coach.listen.backends import choose, configured
    from coach.screening import default_config_path

    if as_json and recording is None:
        raise click.UsageError("--json goes with --file RECORDING")
    backend, note = choose(recognizer or configured(default_config_path()))
    if note is not None:
        click.echo(f"coach: {note}", err=True)
    if recording is not None:
        _listen_to_file(recording, backend, wake_word, as_json)
    else:
        _listen_to_microphone(backend, wake_word, seconds)


def _listen_to_file(path: Path, backend: str, wake_word: bool, as_json: bool) -> None:
    from coach.listen.listener import load_recognizers
    from coach.listen.recording import listen_through, read_recording

    audio = read_recording(path)
    first, judge = load_recognizers(backend, wake_word)
    for found in listen_through(audio, first, judge, wake_word=wake_word):
        if as_json:
            click.echo(json.dumps(found.as_json()))
        elif found.stage == "heard":
            click.echo(f"{found.at_s:7.2f} s  {found.command}  (heard \"{found.phrase}\")")
        else:
            click.echo(f"{found.at_s:7.2f} s  {found.stage} {found.command} (the grammar's \"{found.phrase}\")")


def _listen_to_microphone(backend: str, wake_word: bool, seconds: float | None) -> None:
    import sys

    from coach.errors import AudioInputError
    from coach.listen.listener import HeardCommand, Listener
    from coach.listen.meter import SILENCE_WARNING_S, LevelMeter, MeteredSource
    from coach.listen.microphone import Microphone

    on_terminal = sys.stderr.isatty()
    shown = {"meter": False}

    def echo(line: str, err: bool = False) -> None:
        if shown["meter"]:   # the meter line is redrawn in place: clear it before a line of text
            click.echo("\r\x1b[K", nl=False, err=True)
            shown["meter"] = False
        click.echo(line, err=err)

    def show(heard: HeardCommand) -> None:
        what = "heard" if heard.stage == "heard" else f"{heard.stage} (grammar)"
        echo(f"{what}: {heard.heard.phrase} -> {heard.heard.command} "
             f"(score {heard.heard.score:+.2f}, {heard.latency_ms:.0f} ms after you stopped speaking)")

    try:
        microphone = Microphone().open()
    except AudioInputError as exc:
        raise click.ClickException(f"cannot listen: {exc}") from None
    meter = LevelMeter()
    warned = False
    with Listener(show, wake_word=wake_word, backend=backend, source=MeteredSource(microphone, meter)) as listener:
        listener.ready.wait()
        if listener.error is not None:
            raise click.ClickException(f"cannot listen: {listener.error}")
        click.echo(f"Listening ({backend}). Say a command; Ctrl-C to stop.", err=True)
        deadline = None if seconds is None else time.monotonic() + seconds
        try:
            while deadline is None or time.monotonic() < deadline:
                if not warned and meter.silent_s >= SILENCE_WARNING_S:
                    warned = True
                    echo(f"coach: no sound from the microphone ({microphone.device}) for "
                         f"{SILENCE_WARNING_S:.0f} s: it may be muted or the wrong device "
                         f"(set COACH_MIC to choose another, e.g. COACH_MIC=hw:1,0)", err=True)
                if on_terminal:
                    click.echo("\r\x1b[K" + "level " + meter.bar(), nl=False, err=True)
                    shown["meter"] = True
                time.sleep(0.05)
        except KeyboardInterrupt:
            pass
    if shown["meter"]:
        click.echo("\r\x1b[K", nl=False, err=True)
    if not meter.heard_sound and warned:
        raise click.ClickException(f"the microphone ({microphone.device}) gave nothing but silence")
