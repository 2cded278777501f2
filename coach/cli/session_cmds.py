"""Commands that run a session in real time: play (pre-rendered clips) and live (synthesised as it goes).

Both are one command shape over coach.session.run.run_session; only the mode and the help differ.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from coach.cli.options import (
    background_options, compile_options, history_option, hold_sound_option, listen_options, playback_options,
    routine_argument, screening_options, timing_options, voice_choice, voice_options,
)
from coach.cli.serve_cmds import remote_control, remote_options
from coach.cli.ui import Stages, screening_asker, warn
from coach.session.run import SessionMode
from coach.session.sigterm import SessionTerminated

PLAY_HELP = """Play a routine from pre-rendered clips (rendering what is missing first).

    ROUTINE is a built-in name (see 'coach list') or a path to a script. On a terminal, keys
    control the session: space pause/resume, n next step, p repeat step, q quit, s safety stop.
    Hands-free: headset buttons and media keys always work; with --listen, spoken commands too;
    with --remote, the buttons of a web page (on a phone with --remote-lan).

    \b
    Examples:
      coach play child-pose --volume 0.8
      coach play bedtime-unwind --background rain
    """

LIVE_HELP = """Speak a routine live: each cue is synthesised a few seconds before it is due.

    Nothing is rendered beforehand and nothing is cached, so it starts within a second or two with
    any voice; the timing plans on generous estimates of each cue's length. Keys as for 'coach play'.

    \b
    Example:
      coach live cat-cow --engine espeak --rate 160
    """


# Shells and service managers read these; SIGTERM is nobody on the mat asking to stop, so it gets no
# guided exit and ends within a second (the history row finished as "terminated").
EXIT_STATUS = """
    \b
    Exit status: 0 the session ran (completed, quit or safety stop);
    130 Ctrl-C (after its guided exit); 143 SIGTERM (ended at once, no
    guided exit); 2 bad input; 1 any other failure.
    """


def _session_command(mode: SessionMode, help_text: str) -> click.Command:
    @click.command(mode, help=help_text + EXIT_STATUS)
    @routine_argument()
    @timing_options
    @hold_sound_option
    @voice_options
    @playback_options
    @listen_options
    @background_options
    @screening_options
    @history_option
    @remote_options
    @click.option("--no-progress", is_flag=True,
                  help="Play the script as written: no holds from your history, no note from last time's safety stop.")
    def command(routine, verbosity, hold_scale, breath_scale, hold_sound, engine, voice, rate, cache_dir, volume,
                timing_log, listen, wake_word, background,
                background_level, config_path, yes, cleared, history_db, remote, remote_lan, remote_port,
                no_progress) -> None:
        from coach.library import resolve
        from coach.session.run import SessionHooks, SessionRequest, run_session

        options = compile_options(verbosity, hold_scale, breath_scale, cleared, hold_sound)
        resolved = resolve(routine, options, rate)   # refused before any device, question or render
        request = SessionRequest(
            routine=resolved, mode=mode, options=options,
            voice=voice_choice(engine, voice, rate), cache_dir=cache_dir, volume=volume, timing_log=timing_log,
            history_db=history_db, config_path=config_path, assume_none=yes, listen=listen, wake_word=wake_word,
            background=background, background_level_db=background_level, progress=not no_progress,
            export_hint=f"coach export {routine} -o {Path(routine).stem}.mp3")
        try:
            with Stages() as stages, remote_control(remote or remote_lan, remote_lan, remote_port) as (sources, sinks):
                hooks = SessionHooks(ask=screening_asker(), notice=warn, progress=stages.stage("Rendering"),
                                     screen=sys.stdout, interactive=sys.stdout.isatty(), sources=sources, sinks=sinks)
                ended = run_session(request, hooks)
            if ended == "completed" and sys.stdin.isatty() and sys.stdout.isatty():
                _ask_rating(resolved.name, history_db)
        except SessionTerminated as exc:
            if not exc.unfinished:
                raise
            # A render still running in the engine's native code: the interpreter's own exit would tear
            # the engine down under it (an abort, exit 134). Everything that matters is done; leave now.
            warn(str(exc))
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(exc.exit_code)

    return command


def _ask_rating(routine: str, history_db: Path | None) -> None:
    """Once, at the end: how it felt, for coach.progression. Enter skips; nothing else is asked."""
    from coach.history import History, HistoryError, default_history_path

    # On the screen the session used (click.prompt would put the question on stderr).
    click.echo("How was that: easier, right, or harder? [e/r/h, Enter to skip] ", nl=False)
    answer = sys.stdin.readline().strip().lower()
    rating = {"e": "easier", "r": "right", "h": "harder"}.get(answer[:1])
    if rating is None:
        return
    try:
        History(history_db or default_history_path()).rate_latest(routine, rating)
    except HistoryError as exc:
        warn(f"the rating is not recorded: {exc}")


play = _session_command("play", PLAY_HELP)
live = _session_command("live", LIVE_HELP)
