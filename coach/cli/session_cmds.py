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
    @routine_argument(required=False)
    @click.option("--plan", "plan_spec", metavar="SPEC",
                  help="Instead of ROUTINE, one made for you now as 'coach plan' makes it: minutes, and any of "
                       "an area, a place, equipment, 'gentle', seed=N. Example: --plan \"10 lower-back floor\".")
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
    def command(routine: str | None, plan_spec: str | None, **given) -> None:
        if (routine is None) == (plan_spec is None):
            raise click.UsageError("give a ROUTINE, or --plan SPEC for one made for you (not both)")
        if plan_spec is None:
            assert routine is not None
            _run(mode, routine, f"coach export {routine} -o {Path(routine).stem}.mp3", **given)
            return
        from coach.cli.plan_cmds import planned_script

        with planned_script(plan_spec, given["config_path"], given["history_db"], given["no_progress"]) as planned:
            _run(mode, *planned, **given)

    return command


def _run(mode: SessionMode, routine: str, export_hint: str, verbosity, hold_scale, breath_scale, hold_sound, engine,
         voice, rate, cache_dir, volume, timing_log, listen, wake_word, background, background_level, config_path, yes,
         cleared, history_db, remote, remote_lan, remote_port, no_progress) -> None:
    from coach.library import resolve
    from coach.session.run import SessionHooks, SessionRequest, run_session

    options = compile_options(verbosity, hold_scale, breath_scale, cleared, hold_sound)
    resolved = resolve(routine, options, rate)   # refused before any device, question or render
    request = SessionRequest(
        routine=resolved, mode=mode, options=options,
        voice=voice_choice(engine, voice, rate), cache_dir=cache_dir, volume=volume, timing_log=timing_log,
        history_db=history_db, config_path=config_path, assume_none=yes, listen=listen, wake_word=wake_word,
        background=background, background_level_db=background_level, progress=not no_progress,
        export_hint=export_hint)
    try:
        with Stages() as stages, remote_control(remote or remote_lan, remote_lan, remote_port) as (sources, sinks):
            hooks = SessionHooks(ask=screening_asker(), notice=warn, progress=stages.stage("Rendering"),
                                 screen=sys.stdout, interactive=sys.stdout.isatty(), sources=sources, sinks=sinks)
            run_session(request, hooks)
    except SessionTerminated as exc:
        if not exc.unfinished:
            raise
        # A render still running in the engine's native code: the interpreter's own exit would tear
        # the engine down under it (an abort, exit 134). Everything that matters is done; leave now.
        warn(str(exc))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(exc.exit_code)


play = _session_command("play", PLAY_HELP)
live = _session_command("live", LIVE_HELP)
