"""Voice commands wired into a session: the gated output, the listener, and what each command does.

Off unless asked for (--listen, or "listen": true in the config file). With no microphone, or a
recognizer that cannot start, the person gets one line, hears it said in the session's voice (someone
on the floor does not read the screen), and the session plays on with its keys and media keys; without
the Whisper weights, one line says the grammar recognizer (less reliable) is used instead.

The safety stop is fast: a provisional one (the grammar's instant "stop") pauses the session at once;
confirmed, it becomes the safety stop and its guided exit; withdrawn, the session resumes where it was
(the player's own pause and resume: nothing is skipped, an interrupted sentence is said again).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from coach.errors import AudioInputError
from coach.vocab import RATINGS

if TYPE_CHECKING:
    from coach.listen.gate import SpeechGate
    from coach.listen.listener import HeardCommand, Listener
    from coach.player import Event, Output
    from coach.player.segments import PlayerStep
    from coach.speech import Voice

_NOT_DURING_EXIT = frozenset({"safety-stop", "next"})   # the guided exit is never cut short by voice
_NO_ANSWER = frozenset({"next", "safety-stop"})         # "skip", "next", "stop" or "help" to the question


@dataclass
class VoiceControl:
    output: Output                        # what the players play through (gated while listening)
    on_event: Callable[[Event], None]     # keeps track of where the session is, for "how long"
    exiting: bool = False                 # set once the guided exit plays
    listener: Listener | None = None      # None: no voice commands in this session
    # While coach waits for the answer to its question (coach.session.rating): what is heard goes here
    # (a rating, or None for "skip" / "next" / "stop"), not to the player.
    answering: Callable[[str | None], None] | None = None

    @property
    def listening(self) -> bool:
        """Voice commands are on and working (a recognizer that failed to load turned them off)."""
        return self.listener is not None and self.listener.error is None

    def await_answer(self, answer: Callable[[str | None], None] | None) -> None:
        """Hear the rating answers and hand them to answer(rating) (None: back to commands only)."""
        self.answering = answer
        if self.listener is not None:
            self.listener.hear_answers(answer is not None)


class _Whereabouts:
    """Where the session is, from the player's events, for the "how long" answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.duration_ms = 0
        self.step: PlayerStep | None = None
        self._position_ms = 0.0
        self._at = time.monotonic()
        self._paused = False

    def __call__(self, event: Event) -> None:
        from coach.player.events import Paused, Progress, Resumed, Started, StepChanged

        with self._lock:
            if isinstance(event, Started):
                self.duration_ms, self._position_ms, self._at = event.duration_ms, 0.0, time.monotonic()
            elif isinstance(event, (StepChanged, Progress, Paused, Resumed)):
                if isinstance(event, (StepChanged, Progress)):
                    self.step = event.step
                self._position_ms, self._at = event.position_ms, time.monotonic()
                self._paused = isinstance(event, Paused) or (self._paused and not isinstance(event, Resumed))

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused

    def position_ms(self) -> float:
        with self._lock:
            moved = 0.0 if self._paused else (time.monotonic() - self._at) * 1000
            return self._position_ms + moved


@contextmanager
def voice_control(enabled: bool, wake_word: bool, backend: str, output: Output, voice: Voice | None, send: Callable[[str], None],
                  show: Callable[[Event], None], log: TextIO | None,
                  notice: Callable[[str], None]) -> Iterator[VoiceControl]:
    """While in the block, spoken commands reach send(command) (the current player) and show(event)
    (the view). Yields the output to play through: coach's own sound closes the microphone's gate."""
    if not enabled:
        yield VoiceControl(output, lambda _event: None)
        return
    from coach.listen.backends import choose
    from coach.listen.gate import GatedOutput, SpeechGate
    from coach.listen.listener import Listener
    from coach.player.events import Heard, Listening

    backend, fallback_note = choose(backend)
    gate = SpeechGate()
    gated = GatedOutput(output, gate)
    where = _Whereabouts()
    control = VoiceControl(gated, where)
    held = threading.Event()    # the session is paused by a provisional stop, awaiting the verdict

    def on_heard(heard: HeardCommand) -> None:
        command = heard.heard.command
        if control.exiting and command in _NOT_DURING_EXIT:
            return
        answering = control.answering
        if answering is not None:
            # The session is over: nothing to pause; a rating, or "no answer", ends the question.
            if heard.stage != "heard" or (command not in RATINGS and command not in _NO_ANSWER):
                return
            answering(command if command in RATINGS else None)   # it says what it heard
        elif command in RATINGS:
            return   # an answer decoded after the question was over: not a command
        elif heard.stage == "provisional":
            if where.paused:      # paused already: the sound is off, and a withdrawal must not resume it
                return
            held.set()
            send("pause")
        elif heard.stage == "withdrawn":
            if held.is_set():
                held.clear()
                send("resume")
        else:
            held.clear()   # decided: a stop ends the session, a pause keeps it paused, others act as ever
            if command == "time-left":
                _answer(where, voice, gated)
            else:
                send(command)
            show(Heard(heard.heard.phrase, command))
        if log is not None:
            log.write(json.dumps({heard.stage: heard.heard.phrase, "command": command, "recognizer": backend,
                                  "score": heard.heard.score, "position_ms": round(where.position_ms(), 1),
                                  "latency_ms": round(heard.latency_ms, 1)}) + "\n")
            log.flush()

    def on_ready(error: BaseException | None) -> None:
        if error is None:
            show(Listening())
            if log is not None:   # from here on a command can be heard (the recognizers have loaded)
                log.write(json.dumps({"listening": backend, "position_ms": round(where.position_ms(), 1)}) + "\n")
                log.flush()
        else:
            notice(f"voice commands are off: {error}; the keys still work")
            _say(voice, gated, SPOKEN_OFF, gate)   # on the listener's thread, once coach is quiet

    listener = Listener(on_heard, gate, wake_word, on_ready=on_ready, backend=backend)
    control.listener = listener
    with ExitStack() as stack:
        try:
            stack.enter_context(listener)   # opens the microphone at once: none -> one line, the session plays on
        except AudioInputError as exc:
            notice(str(exc))
            _say(voice, output, SPOKEN_NO_MICROPHONE)   # before the session's first sound
            yield VoiceControl(output, lambda _event: None)
            return
        if fallback_note is not None:
            notice(fallback_note)
        yield control


SPOKEN_NO_MICROPHONE = "Voice commands are off: there is no microphone. The keys still work."
SPOKEN_OFF = "Voice commands are off. The keys still work."
_SAY_WAIT_S = 10.0   # the longest a spoken notice waits for coach to fall quiet, or for itself to end


def _say(voice: Voice | None, output: Output, text: str, gate: SpeechGate | None = None) -> None:
    """Say a notice in the session's voice and wait until it is said; with a gate, first wait (a
    little) until coach's own sound has stopped, so the notice does not talk over a cue."""
    if voice is None:
        return
    give_up = time.monotonic() + _SAY_WAIT_S
    while gate is not None and gate.closed() and time.monotonic() < give_up:
        time.sleep(0.05)
    try:
        handle = output.play(voice.render(text))
        while handle.is_playing() and time.monotonic() < give_up + _SAY_WAIT_S:
            time.sleep(0.02)
    except Exception:  # noqa: BLE001 - a notice that cannot be spoken was printed all the same
        pass


def _answer(where: _Whereabouts, voice: Voice | None, output: Output) -> None:
    from coach.listen.answer import time_left_sentence

    if voice is None:
        return
    text = time_left_sentence(where.step, where.position_ms(), where.duration_ms)
    try:
        output.play(voice.render(text))
    except Exception:  # noqa: BLE001 - an answer that cannot be spoken must not end the session
        pass
