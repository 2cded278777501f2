"""Commands that run a session in real time: play (pre-rendered clips) and live (synthesised as it goes)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from coach.cli import cli, compile_options, timing_options
from coach.cli.audio_cmds import Bar, voice_choice, voice_options
from coach.cli.safety_cmds import history_option, screen, screening_options


def session_options(func):
    """--volume and --timing-log, shared by play and live."""
    func = click.option("--timing-log", type=click.Path(dir_okay=False, path_type=Path),
                        help="Write one JSON line per cue: text, kind, scheduled_ms, actual_ms, late_ms.")(func)
    func = click.option("--volume", type=click.FloatRange(0.0, 1.0), default=1.0, show_default=True,
                        help="Loudness, 0.0-1.0 (scales the audio; the device volume is untouched).")(func)
    return func


@cli.command()
@click.argument("routine")
@timing_options
@voice_options
@session_options
@screening_options
@history_option
def play(routine, verbosity, hold_scale, breath_scale, engine, voice, rate, cache_dir, volume, timing_log,
         config_path, yes, cleared, history_db) -> None:
    """Play a routine from pre-rendered clips (rendering what is missing first).

    ROUTINE is a built-in name (see 'coach list') or a path to a script. On a terminal, keys
    control the session: space pause/resume, n next step, p repeat step, q quit, s safety stop.

    \b
    Example:
      coach play child-pose --volume 0.8
    """
    _run("play", routine, compile_options(verbosity, hold_scale, breath_scale, cleared),
         voice_choice(engine, voice, rate), cache_dir, volume, timing_log, config_path, yes, cleared, history_db)


@cli.command()
@click.argument("routine")
@timing_options
@voice_options
@session_options
@screening_options
@history_option
def live(routine, verbosity, hold_scale, breath_scale, engine, voice, rate, cache_dir, volume, timing_log,
         config_path, yes, cleared, history_db) -> None:
    """Speak a routine live: each cue is synthesised a few seconds before it is due.

    Nothing is rendered beforehand and nothing is cached, so it starts within a second or two with
    any voice; the timing plans on generous estimates of each cue's length. Keys as for 'coach play'.

    \b
    Example:
      coach live cat-cow --engine espeak --rate 160
    """
    _run("live", routine, compile_options(verbosity, hold_scale, breath_scale, cleared),
         voice_choice(engine, voice, rate), cache_dir, volume, timing_log, config_path, yes, cleared, history_db)


def _run(mode: str, routine: str, options, choice, cache_dir: Path | None, volume: float,
         timing_log: Path | None, config_path: Path | None, yes: bool, cleared: bool,
         history_db: Path | None) -> None:
    import dataclasses

    from coach.errors import OutputFileError
    from coach.history import History, default_history_path
    from coach.library import resolve
    from coach.player import SimpleaudioOutput
    from coach.session import prepare_session

    # The device first: no point asking questions or rendering for a machine that cannot play.
    name = Path(routine).stem
    output = SimpleaudioOutput(volume=volume, export_hint=f"coach export {routine} -o {name}.mp3")
    output.open()
    resolved = resolve(routine)
    answers = screen(resolved, yes, cleared, config_path)
    history = History(history_db or default_history_path())
    done_today = history.starts_today(resolved.name)
    if done_today >= answers.daily_limit:
        warning = _too_often(done_today)
        click.echo(f"coach: {warning}", err=True)
        options = dataclasses.replace(options, notes=options.notes + (warning,))
    bar = Bar("Rendering")
    try:
        prepared = prepare_session(routine, options, choice, cache_dir, mode, bar if mode == "play" else None)
    finally:
        bar.close()

    log = None
    if timing_log is not None:
        try:
            log = open(timing_log, "w", encoding="utf-8")
        except OSError as exc:
            raise OutputFileError(f"cannot write the timing log {timing_log}: {exc.strerror}") from None
    session_id = history.start(prepared.routine.name, mode)
    outcome = "interrupted"
    try:
        with _sigterm_as_interrupt():
            outcome = _play_session(prepared, output, log)
    finally:
        if log is not None:
            log.close()
        history.end(session_id, outcome)
        prepared.finish()
    if outcome == "interrupted":
        raise KeyboardInterrupt  # the CLI group turns it into "stopped", exit 130


def _play_session(prepared, output, log) -> str:
    """The routine, then, after a safety stop (s) or Ctrl-C, the guided exit: the sound stops at once,
    and coach talks the person out of the position. A second Ctrl-C skips the exit."""
    from coach.player import KeyReader, Player, make_view

    view = make_view(sys.stdout, interactive=sys.stdout.isatty())
    try:
        player = Player(prepared.timeline, prepared.clip_for, output, on_event=view, timing_log=log)
        with KeyReader(player.command):
            ended = player.run().ended
    finally:
        view.close()
    if ended in ("safety-stop", "interrupted"):
        click.echo("Safety stop: coming out of the position." if ended == "safety-stop" else "Stopping.")
        exit_view = make_view(sys.stdout, interactive=False)
        try:
            exit_player = Player(prepared.exit_timeline(), prepared.clip_for, output, on_event=exit_view)
            with KeyReader(exit_player.command):   # Ctrl-C, q or s skips the rest of the exit
                exit_player.run()
        except KeyboardInterrupt:
            pass
        finally:
            exit_view.close()
    return ended


def _too_often(done_today: int) -> str:
    from coach.safety import TOO_OFTEN_NOTE
    from coach.timeline.words import number_word

    times = {1: "once", 2: "twice"}.get(done_today, f"{number_word(done_today)} times" if done_today < 100 else "many times")
    return f"You have already started this routine {times} today. {TOO_OFTEN_NOTE}"


class _sigterm_as_interrupt:
    """A polite kill (SIGTERM) ends the session like Ctrl-C: sound stopped, terminal restored, history updated."""

    def __enter__(self):
        import signal

        def interrupt(signum, frame):
            raise KeyboardInterrupt

        self._old = signal.signal(signal.SIGTERM, interrupt)
        return self

    def __exit__(self, *exc) -> None:
        import signal

        signal.signal(signal.SIGTERM, self._old)
