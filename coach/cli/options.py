"""Option groups shared by commands, each defined once (as sqlite-utils shares option decorators).

Choices and ranges come from the library's own tables: engines from coach.speech, formats from
coach.export, rates from coach.speech.base, vocabularies from coach.vocab.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from coach.background import BUILTIN_BEDS, DEFAULT_LEVEL_DB, DUCK_DB, MAX_LEVEL_DB, MIN_LEVEL_DB
from coach.export import FORMATS
from coach.loudness import DEFAULT_LUFS, MAX_LUFS, MIN_LUFS
from coach.speech import ENGINES
from coach.speech.base import DEFAULT_RATE_WPM, MAX_RATE_WPM, MIN_RATE_WPM
from coach.timeline.hold_sound import HOLD_SOUNDS
from coach.vocab import VERBOSITIES

F = TypeVar("F", bound=Callable[..., Any])


def _complete_routine(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Tab completion: built-in names, or files when the word already looks like a path."""
    from click.shell_completion import CompletionItem

    from coach.library import all_names, looks_like_path

    if incomplete and looks_like_path(incomplete):
        return [CompletionItem(incomplete, type="file")]
    return [CompletionItem(name) for name in all_names() if name.startswith(incomplete)]


def routine_argument(nargs: int = 1, required: bool = True) -> Callable[[F], F]:
    """A routine or exercise: a built-in name or a script's path; names complete in the shell."""
    name = "routine" if nargs == 1 else "routines"
    return click.argument(name, nargs=nargs, required=required, shell_complete=_complete_routine)


def _group(*options: Callable[[F], F]) -> Callable[[F], F]:
    """Several click options as one decorator, listed in --help in the order given."""
    def apply(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


timing_options = _group(
    click.option("--verbosity", type=click.Choice(VERBOSITIES), default="full", show_default=True,
                 help="full: every instruction; brief: names, breathing, countdown; minimal: names and countdown."),
    click.option("--hold-scale", type=click.FloatRange(0.25, 4.0), default=1.0, show_default=True,
                 help="Multiply every timed hold: 1.5 holds half as long again."),
    click.option("--breath-scale", type=click.FloatRange(0.5, 2.0), default=1.0, show_default=True,
                 help="Multiply every inhale and exhale: 1.25 breathes more slowly."),
)

cache_dir_option = click.option(
    "--cache-dir", type=click.Path(path_type=Path), envvar="COACH_CACHE_DIR",
    help="Where rendered clips live (default: audio_cache/; env COACH_CACHE_DIR).")

voice_options = _group(
    click.option("--engine", type=click.Choice(ENGINES),
                 help="Speech engine (default: piper when installed, else espeak)."),
    click.option("--voice", help="A voice id from 'coach voices', or a Piper .onnx file."),
    click.option("--rate", type=click.IntRange(MIN_RATE_WPM, MAX_RATE_WPM),
                 help=f"Speaking rate in words a minute (default {DEFAULT_RATE_WPM})."),
    cache_dir_option,
)

config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path), envvar="COACH_CONFIG",
    help="Screening answers file (default: your user config folder; env COACH_CONFIG).")

history_option = click.option(
    "--history-db", type=click.Path(path_type=Path), envvar="COACH_HISTORY_DB",
    help="Session history database (default: your user data folder; env COACH_HISTORY_DB).")

screening_options = _group(
    config_option,
    click.option("--yes", "-y", is_flag=True,
                 help="Answer 'none of these apply to me' to the screening questions (for scripts)."),
    click.option("--cleared", is_flag=True,
                 help="Your doctor or therapist approved this routine despite a condition it names."),
)

playback_options = _group(
    click.option("--volume", type=click.FloatRange(0.0, 1.0), default=1.0, show_default=True,
                 help="Loudness, 0.0-1.0 (scales the audio; the device volume is untouched)."),
    click.option("--timing-log", type=click.Path(dir_okay=False, path_type=Path),
                 help="Write one JSON line per cue: text, kind, scheduled_ms, actual_ms, late_ms."),
)

listen_options = _group(
    click.option("--listen/--no-listen", default=None,
                 help='Obey spoken commands ("pause", "next", "how long", "stop"; see coach listen --help). '
                      'Default: the "listen" setting in the config file, else off.'),
    click.option("--wake-word/--no-wake-word", default=None,
                 help='Only obey commands said after "coach" ("coach, pause"). Default: the config file\'s '
                      '"listen_wake_word", else off.'),
)

background_options = _group(
    click.option("--background", metavar="NAME|FILE",
                 help=f"A sound looped under the voice and lowered while it speaks: {', '.join(BUILTIN_BEDS)}, "
                      f"or any audio file ffmpeg reads."),
    click.option("--background-level", type=click.FloatRange(MIN_LEVEL_DB, MAX_LEVEL_DB), default=DEFAULT_LEVEL_DB,
                 show_default=True, metavar="DB",
                 help=f"The background's level between cues, in dBFS (speech is at about -15); it drops {DUCK_DB:g} dB more under speech."),
)

hold_sound_option = click.option(
    "--hold-sound", type=click.Choice(HOLD_SOUNDS), default="breath", show_default=True,
    help="What sounds in a timed hold between its cues: breath, a quiet tone rising on each in-breath and "
         "falling on each out-breath at the routine's pace; tick, a soft tick each second; none, silence. "
         "Off while listening for voice commands, so that \"stop\" is heard in a hold.")

loudness_option = click.option(
    "--loudness", "loudness_lufs", type=click.FloatRange(MIN_LUFS, MAX_LUFS), default=DEFAULT_LUFS,
    show_default=True, metavar="LUFS",
    help=f"Integrated loudness of the file ({MIN_LUFS:g} to {MAX_LUFS:g}; -16 suits podcast and phone players, "
         f"-23 broadcast); its true peak stays under -1 dBTP. play and live are always at {DEFAULT_LUFS:g}.")

format_option = click.option("--format", "fmt", type=click.Choice(tuple(FORMATS)),
                             help="Default: from the file name.")


def compile_options(verbosity: str, hold_scale: float, breath_scale: float, cleared: bool = False,
                    hold_sound: str = "none"):
    from coach.model import CompileOptions

    return CompileOptions(verbosity=verbosity, hold_scale=hold_scale, breath_scale=breath_scale, cleared=cleared,
                          hold_sound=hold_sound)


def voice_choice(engine: str | None, voice: str | None, rate: int | None):
    """The voice asked for; an unknown --voice is a usage error (exit 2) in every command taking it.
    A --voice that only one engine has picks that engine."""
    from coach.session import VoiceChoice

    return VoiceChoice(engine, voice, rate).check()
