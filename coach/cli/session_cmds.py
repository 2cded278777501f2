"""Commands that run a session in real time: play (pre-rendered clips) and live (synthesised as it goes).

Both are one command shape over coach.session.run.run_session; only the mode and the help differ.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from coach.cli.options import (
    background_options, compile_options, history_option, hold_sound_option, listen_options, playback_options,
    routine_argument, screening_options, timing_options, voice_choice, voice_options,
)
from coach.cli.ui import Stages, screening_asker, warn
from coach.session.run import SessionMode

PLAY_HELP = """Play a routine from pre-rendered clips (rendering what is missing first).

    ROUTINE is a built-in name (see 'coach list') or a path to a script. On a terminal, keys
    control the session: space pause/resume, n next step, p repeat step, q quit, s safety stop.
    Hands-free: headset buttons and media keys always work; with --listen, spoken commands too.

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


def _session_command(mode: SessionMode, help_text: str) -> click.Command:
    @click.command(mode, help=help_text)
    @routine_argument()
    @timing_options
    @hold_sound_option
    @voice_options
    @playback_options
    @listen_options
    @background_options
    @screening_options
    @history_option
    def command(routine, verbosity, hold_scale, breath_scale, hold_sound, engine, voice, rate, cache_dir, volume,
                timing_log, listen, wake_word, background,
                background_level, config_path, yes, cleared, history_db) -> None:
        from coach.library import resolve
        from coach.session.run import SessionHooks, SessionRequest, run_session

        resolved = resolve(routine)
        request = SessionRequest(
            routine=resolved, mode=mode, options=compile_options(verbosity, hold_scale, breath_scale, cleared, hold_sound),
            voice=voice_choice(engine, voice, rate), cache_dir=cache_dir, volume=volume, timing_log=timing_log,
            history_db=history_db, config_path=config_path, assume_none=yes, listen=listen, wake_word=wake_word,
            background=background, background_level_db=background_level,
            export_hint=f"coach export {routine} -o {Path(routine).stem}.mp3")
        with Stages() as stages:
            hooks = SessionHooks(ask=screening_asker(), notice=warn, progress=stages.stage("Rendering"),
                                 screen=sys.stdout, interactive=sys.stdout.isatty())
            run_session(request, hooks)

    return command


play = _session_command("play", PLAY_HELP)
live = _session_command("live", LIVE_HELP)
