"""A play or live session from start to finish: the one call `coach play` and `coach live` make.

Order matters to the person on the floor: the audio device is checked first (no questions for a
machine that cannot play), then the screening, then the daily-limit note, then rendering, then the
session itself; after a safety stop (s) or Ctrl-C the sound stops at once and the guided exit is
spoken. A SIGTERM (a service manager, `timeout`) is nobody on the mat asking to stop: the sound
stops, the history row is finished as "terminated" and the session ends within a second, without
the guided exit (SessionTerminated: exit code 143). A completed session ends with one question, out
loud and on screen, when someone can answer it (coach.session.rating). History records how it ended,
and the answer; a history that
cannot be used never stops a session (the person is told once that it is not recorded). The library
never prints: what the person sees goes through SessionHooks, which the CLI fills in.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from coach import model as m
from coach.errors import OutputFileError
from coach.progress import ProgressFn
from coach.screening import AskFn
from coach.session import prepare as preparing
from coach.session.record import SessionRecord
from coach.session.sigterm import SessionTerminated, SigTerm
from coach.session.voice import VoiceChoice

if TYPE_CHECKING:
    from coach.background import Background
    from coach.player import Event, Output, Player
    from coach.speech import Voice
    from coach.timeline.model import Timeline

SessionMode = Literal["play", "live"]
FINISH_ON_SIGTERM_S = 0.3   # how long a SIGTERM waits for the synthesis worker to stop


@dataclass(frozen=True)
class SessionRequest:
    routine: m.Routine
    mode: SessionMode
    options: m.CompileOptions = m.CompileOptions()
    voice: VoiceChoice = VoiceChoice()
    cache_dir: Path | None = None
    volume: float = 1.0
    timing_log: Path | None = None       # one JSON line per cue
    history_db: Path | None = None
    config_path: Path | None = None      # the screening answers
    assume_none: bool = False            # answer "none apply" to the screening (--yes)
    export_hint: str = ""                # what to suggest when there is no audio device
    listen: bool | None = None           # voice commands; None: the config file's "listen" setting
    wake_word: bool | None = None        # only commands said after "coach"; None: the config file's
    background: str | None = None        # a built-in bed or an audio file, looped under the voice
    background_level_db: float | None = None
    progress: bool = False               # holds from coach.progression, and last time's safety-stop note
    ask_rating: bool = True              # after a completed session: "How was that?" (when someone can answer)


def _ignore(_text: str) -> None:
    pass


@dataclass(frozen=True)
class SessionHooks:
    """How a session reaches the person. Every field has a quiet default."""

    ask: AskFn | None = None                    # screening questions; None: nobody to ask (no terminal)
    notice: Callable[[str], None] = _ignore     # a warning worth a line of its own (the daily limit)
    progress: ProgressFn | None = None          # rendering before the session starts
    screen: TextIO | None = None                # where captions and the status line go
    interactive: bool = False                   # a terminal: status line redrawn in place, keys read
    keys: TextIO | None = field(default=None)   # where keys are read (None: standard input)
    # More controls and views beside the terminal's (a web remote): each source is handed the
    # session's command callable once; each sink gets every event of the session and of its exit.
    sources: tuple[Callable[[Callable[[str], None]], None], ...] = ()
    sinks: tuple[Callable[[Event], None], ...] = ()


def run_session(request: SessionRequest, hooks: SessionHooks = SessionHooks(),
                output: Output | None = None) -> str:
    """Run the session; returns how it ended (coach.vocab.ENDINGS). Ctrl-C ends it as "interrupted",
    and then KeyboardInterrupt is raised once the history is written; SIGTERM ends it as "terminated",
    and then SessionTerminated is raised.

    With a background, the sound goes through one continuous stream (coach.player.stream) that the
    bed plays on; without, each sound opens the device (simpleaudio)."""
    from coach.background.bed import background_for

    bed = background_for(request.background, request.background_level_db)   # a bad file: reported first
    with contextlib.ExitStack() as stack:
        if output is None:
            output = stack.enter_context(_open_output(request, bed is not None))
        return _session_with_output(request, hooks, output, bed)


def _session_with_output(request: SessionRequest, hooks: SessionHooks, output: Output, bed: Background | None) -> str:
    # The voice next, and its model loading on a thread while the person answers the screening.
    voice = request.voice.get(preparing.voice_purpose(request.mode))
    warming = threading.Thread(target=_warm_up, args=(voice,), name="coach-voice-warm-up")
    warming.start()
    try:
        ended = _screened_session(request, hooks, output, voice, bed)
    finally:
        # Never leave while a model is still loading: a native library torn down mid-load aborts.
        warming.join()
    if ended == "interrupted":
        raise KeyboardInterrupt
    return ended


@contextmanager
def _open_output(request: SessionRequest, streaming: bool) -> Iterator[Output]:
    if streaming:
        from coach.player.stream import StreamOutput

        with StreamOutput(volume=request.volume, export_hint=request.export_hint) as stream:
            yield stream
        return
    from coach.player import SimpleaudioOutput

    output = SimpleaudioOutput(volume=request.volume, export_hint=request.export_hint)
    output.open()
    yield output


def _screened_session(request: SessionRequest, hooks: SessionHooks, output: Output, voice: Voice,
                      bed: Background | None) -> str:
    from coach.history import History, default_history_path
    from coach.safety import too_often_note
    from coach.screening import Answers, default_config_path, screen

    routine, options = request.routine, request.options
    answers = screen(routine, Answers(request.config_path or default_config_path()), options.cleared,
                     request.assume_none, hooks.ask)
    listening = _listening(request)   # a bad setting is reported before anything is recorded
    record = SessionRecord(History(request.history_db or default_history_path()), hooks.notice)
    done_today = record.sessions_today(routine.name)
    if done_today >= answers.daily_limit:
        warning = too_often_note(done_today)
        hooks.notice(warning)
        options = dataclasses.replace(options, notes=options.notes + (warning,))
    if listening[0] and options.hold_sound != "none":
        # The microphone is closed while coach makes any sound, and a hold is where "stop" must be heard.
        options = dataclasses.replace(options, hold_sound="none")
    if request.progress:
        routine, options = record.progressed(routine, options)
    prepared = preparing.prepare(routine, options, request.voice, request.cache_dir, request.mode, voice=voice,
                                 notice=hooks.notice)
    ended = "interrupted"
    finished = True
    sigterm = SigTerm()
    with _timing_log(request.timing_log) as log:
        session_id = record.start(prepared.routine, request.mode, options)
        reached = Reached(ask_rating=request.ask_rating)
        with sigterm.handled():
            try:
                ended = _play(prepared, output, log, hooks, listening, voice, bed, sigterm.received, reached)
            except KeyboardInterrupt:
                if not sigterm.received():
                    raise
                ended = "terminated"
            finally:
                sigterm.disarm()   # from here a SIGTERM is only noted: the row must be finished
                record.end(session_id, ended, reached.timeline or prepared.timeline, reached.position_ms)
                if reached.rating is not None:
                    record.rate(session_id, reached.rating)
                if sigterm.received():
                    finished = _finish_within(prepared, FINISH_ON_SIGTERM_S)
                else:
                    prepared.finish(completed=ended == "completed")
    if sigterm.received():
        raise SessionTerminated(unfinished=not finished)
    return ended


def _listening(request: SessionRequest) -> tuple[bool, bool, str]:
    """(listen, wake word, recognizer): the command line's choice, else the config file's."""
    from coach.listen.backends import DEFAULT_RECOGNIZER, configured

    if request.listen is False:
        return False, False, DEFAULT_RECOGNIZER
    from coach.listen.settings import load_listen_settings
    from coach.screening import default_config_path

    settings = load_listen_settings(request.config_path or default_config_path())
    listen = settings.listen if request.listen is None else request.listen
    wake_word = settings.wake_word if request.wake_word is None else request.wake_word
    return listen, wake_word, configured(request.config_path or default_config_path())


@dataclass
class Reached:
    """How far a session got, filled in as it plays (read even when it ends by an exception)."""

    ask_rating: bool = False              # ask "How was that?" if it completes
    position_ms: float | None = None      # where it ended, on `timeline`
    timeline: Timeline | None = None      # what the player last played (re-planned as clips arrived)
    rating: str | None = None             # the answer (coach.vocab.RATINGS), when one was given

    def position(self) -> str | None:
        """The body position it ended in: where a safety stop found the person."""
        if self.timeline is None or self.position_ms is None:
            return None
        return self.timeline.position_at(self.position_ms)


def _play(prepared: preparing.Prepared, output: Output, log: TextIO | None, hooks: SessionHooks,
          listening: tuple[bool, bool, str] = (False, False, "whisper"), voice: Voice | None = None,
          bed: Background | None = None, terminated: Callable[[], bool] = lambda: False,
          reached: Reached | None = None) -> str:
    """The routine, then, after a safety stop or Ctrl-C, the guided exit: the sound stops at once, and
    coach talks the person out of the position. A second Ctrl-C (or q, or s) skips the exit. Keys on
    the terminal, media keys / headset buttons (MPRIS) and voice commands all control it. The
    background plays under the routine only: the guided exit is the voice alone. terminated(): the
    stop came from SIGTERM, not from a person: no guided exit. A completed session with
    reached.ask_rating asks how it was (coach.session.rating)."""
    reached = reached if reached is not None else Reached()
    from coach.player import KeyReader, Player, make_view
    from coach.player.mpris import MediaKeys
    from coach.session.listening import voice_control

    screen = hooks.screen or io.StringIO()
    view = _locked(make_view(screen, interactive=hooks.interactive))   # voice commands show from their thread
    # Every control reaches whichever player is running: the routine, then the exit.
    current: list[Player] = []
    set_bed = getattr(output, "set_bed", None) if bed is not None else None   # only a stream carries a bed

    def send(name: str) -> None:
        if current:
            current[-1].command(name)

    for source in hooks.sources:
        source(send)
    with MediaKeys(send) as media_keys, \
            voice_control(*listening, output, voice, send, view, log, hooks.notice) as voice_commands:
        try:
            player = Player(prepared.timeline, prepared.clip_for, voice_commands.output, timing_log=log,
                            on_event=_all(view, media_keys.on_event, voice_commands.on_event, *hooks.sinks))
            current.append(player)
            prepared.follow(player)   # a cold session takes each clip's real length as it arrives
            if set_bed is not None and bed is not None:
                from coach.background.follow import SessionBed

                set_bed(SessionBed(bed, lambda: player.timeline, player.position_now))
            with KeyReader(player.command, hooks.keys):
                result = player.run()
            # on the player's own timeline: a re-plan (coach.session.replan) moves its steps from the first plan's
            reached.position_ms, reached.timeline = result.position_ms, player.timeline
        finally:
            view.close()
            if set_bed is not None:
                set_bed(None)
        if result.ended == "interrupted" and terminated():
            return "terminated"   # a stop the person asked for before the signal keeps its name
        if result.ended in ("safety-stop", "interrupted"):
            voice_commands.exiting = True
            _guided_exit(prepared, voice_commands.output, hooks, screen, result.ended, reached, current,
                         _all(media_keys.on_event, voice_commands.on_event, *hooks.sinks))
        elif result.ended == "completed" and reached.ask_rating:
            from coach.session import rating

            try:
                reached.rating = rating.ask(prepared.sentence_timeline, prepared.clip_for, voice_commands.output,
                                            voice_commands, hooks.keys, screen, log, _all(*hooks.sinks))
            except KeyboardInterrupt:
                pass   # Ctrl-C or a SIGTERM at the question: the session was complete all the same
        return result.ended


def _all(*callbacks: Callable[[Event], None]) -> Callable[[Event], None]:
    def every(event: Event) -> None:
        for callback in callbacks:
            callback(event)

    return every


class _locked:
    """A view that two threads may call (the player's, and the listener's)."""

    def __init__(self, view: Any):   # a PlainView or TerminalView
        self._view = view
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._view(event)

    def close(self) -> None:
        with self._lock:
            self._view.close()


def _guided_exit(prepared: preparing.Prepared, output: Output, hooks: SessionHooks, screen: TextIO, ended: str,
                 where: Reached, current: list[Player], media_event: Callable[[Event], None]) -> None:
    """What a safety stop (or Ctrl-C) says, fitted to where the stop found the person."""
    from coach.player import KeyReader, Player, make_view

    exit_view = None
    try:   # all of it: a second Ctrl-C (or a SIGTERM) at any moment here only skips the rest
        screen.write(("Safety stop: coming out of the position." if ended == "safety-stop" else "Stopping.") + "\n")
        screen.flush()
        exit_view = make_view(screen, interactive=False)
        exit_player = Player(prepared.exit_timeline(where.position()), prepared.clip_for, output,
                             on_event=_all(exit_view, media_event))
        current.append(exit_player)
        with KeyReader(exit_player.command, hooks.keys):
            exit_player.run()
    except KeyboardInterrupt:
        pass
    finally:
        if exit_view is not None:
            exit_view.close()


def _finish_within(prepared: preparing.Prepared, seconds: float) -> bool:
    """Nobody waits long after a SIGTERM: False if a clip is still being rendered for the cache; it is
    then abandoned (cache writes are atomic, so nothing half-made is kept)."""
    finishing = threading.Thread(target=prepared.finish, name="coach-finish", daemon=True)
    finishing.start()
    finishing.join(seconds)
    return not finishing.is_alive()


def _warm_up(voice: Voice) -> None:
    try:
        voice.warm_up()
    except Exception:  # noqa: BLE001 - the first render raises the same error, where it can be reported
        pass


@contextmanager
def _timing_log(path: Path | None) -> Iterator[TextIO | None]:
    if path is None:
        yield None
        return
    try:
        log = open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise OutputFileError(f"cannot write the timing log {path}: {exc.strerror}; "
                              f"choose a writable file for --timing-log") from None
    with log:
        yield log
