"""Listening on a thread while a session plays: microphone -> gate -> endpointer -> voicing -> recognizers.

The endpointer (coach.listen.endpoint) cuts the stream into utterances. A command is said on its own,
so an utterance longer than MAX_UTTERANCE_MS is not one and is never decoded; one that overlaps coach's
own sound (the gate) is dropped whole; one without a voice (coach.listen.voicing) is noise. What is
left goes to the recognizer (a backend, coach.listen.backends), one utterance at a time on a worker
thread, so a slow recognizer (Whisper: about a second) never holds up the microphone.

Two passes when the recognizer is slow: the grammar decodes each utterance as it comes in (instant) and,
the moment it hears "stop" or "help", a *provisional* safety stop is reported so the sound can stop at
once; the strong recognizer then confirms it (the safety stop) or withdraws it (the session goes on
where it was). Every other command waits for the strong recognizer, which hears every utterance: the
grammar only makes the safety stop fast, it never decides.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Protocol

from coach.listen.backends import DEFAULT_RECOGNIZER, Recognition, Recognizer, StreamingRecognizer
from coach.listen.commands import SAFETY_STOP
from coach.listen.endpoint import START_FRAMES
from coach.listen.gate import SpeechGate
from coach.listen.microphone import FRAME_BYTES, FRAME_S, RATE, Microphone
from coach.listen.voicing import VOICED_FRAMES_MIN, is_voiced

if TYPE_CHECKING:
    from coach.listen.endpoint import Piece

MAX_UTTERANCE_MS = 2_500     # the longest phrase, "coach, safety stop", said slowly, with preroll and end
# A command is said on its own: no utterance's speech this long before its onset nor after its end.
# Pieces of talk cut at a comma (espeak pauses 0.21-0.27 s) have speech on one side; the endpointer ends
# a word before a soft "s" in noise, so a 0.25 s pause after "pause" measured 0.51 s: hence 0.6.
QUIET_AROUND_S = 0.6
# With the wake word, "Coach," and "pause." can come as two utterances: one as short as "coach" alone
# (0.43 s in Piper's voice; "coach, stop" said in one breath is longer) waits JOIN_S for the next to
# begin, and the two are heard as one. Alone it is nothing: the grammar takes "coach" for "coach help",
# and Whisper with the wake-word prompt writes "Coach, help." for it.
WAKE_ALONE_MAX_S = 0.6
JOIN_S = 1.0
STALE_S = 4.0                # an utterance still waiting this long after it ended is not acted on
# Leaving waits for the listening threads: the process must not exit while one of them is inside
# CTranslate2 or ONNX Runtime (a Whisper decode, the model loading), or it dies with a segfault or
# "terminate called without an active exception" (seen at the end of a live session in a noisy room).
# One utterance's decode and second listen take a few seconds at most; this bounds a hung one.
EXIT_WAIT_S = 30.0
_SILENCE = bytes(FRAME_BYTES)

Stage = Literal["heard", "provisional", "withdrawn"]


class FrameSource(Protocol):
    started: float
    def read(self) -> bytes: ...
    def close(self) -> None: ...


class Isolation:
    """Whether an utterance stood alone: settled QUIET_AROUND_S after its end (speech then: it was talk)."""

    def __init__(self) -> None:
        self._settled = threading.Event()
        self.alone = False

    def settle(self, alone: bool) -> None:
        self.alone = alone
        self._settled.set()

    @property
    def settled(self) -> bool:
        return self._settled.is_set()

    def wait(self, timeout_s: float) -> bool:
        """True when it stood alone; False when talk followed or nothing settled it in time."""
        return self._settled.wait(timeout_s) and self.alone


@dataclass(frozen=True)
class Utterance:
    """Speech on its own, short, voiced and clear of coach's sound: worth a recognizer's time."""

    audio: bytes                  # 16 kHz mono int16, with the endpointer's look-back
    speech_s: float               # how long the speech lasted
    speech_end: float             # monotonic time the speech ended (the endpointer's estimate)
    quick: Recognition | None     # the fast first pass's answer (None when there is none)
    isolation: Isolation = field(default_factory=Isolation, compare=False)


@dataclass
class _Held:
    """A short utterance waiting for a second part (the wake word on its own)."""

    audio: list[bytes]
    since: list[bytes]         # every frame pushed since it ended
    onset_s: float
    end_s: float
    utterance_s: float
    voiced_frames: int
    gated: bool = False


@dataclass(frozen=True)
class HeardCommand:
    heard: Recognition
    speech_end: float    # monotonic time the speech ended (the endpointer's estimate)
    acted: float         # monotonic time the callback was called
    stage: Stage = "heard"   # provisional: a fast safety stop to confirm; withdrawn: it was not one

    @property
    def latency_ms(self) -> float:
        return (self.acted - self.speech_end) * 1000


class Utterances:
    """The endpointing part of the loop without a thread: push frames in, get Utterances out. The first
    pass (a streaming recognizer), when given, decodes each utterance as it comes in. An utterance with
    speech less than QUIET_AROUND_S before it is never returned; one returned settles its isolation
    QUIET_AROUND_S after its end, from the frames pushed after it (call flush() at the end of a stream)."""

    def __init__(self, first_pass: StreamingRecognizer | None = None, gate: SpeechGate | None = None,
                 wake_word: bool = False):
        from coach.listen.endpoint import Endpointer

        self._first_pass = first_pass
        self._gate = gate
        self._wake_word = wake_word
        self._endpointer = Endpointer()
        self._spoiled = False      # overlapped coach's sound, too long or talk before it: decoded no further
        self._audio: list[bytes] = []
        self._utterance_s = 0.0
        self._gated_until = float("-inf")   # stream time the gate last closed a frame
        self._onset_s = 0.0
        self._voiced_frames = 0
        self._awaiting: tuple[Utterance, float] | None = None   # (returned, stream time its isolation settles)
        self._held: _Held | None = None

    def push(self, frame: bytes, frame_end: float, origin: float) -> Utterance | None:
        """One frame of audio ending at monotonic time frame_end; origin is when the stream started."""
        gated = self._gate is not None and self._gate.closed(frame_end - FRAME_S)
        if gated:
            self._gated_until = frame_end
        heard = _SILENCE if gated else frame
        piece = self._endpointer.push(heard)
        now_s = frame_end - origin
        if self._awaiting is not None:
            # talk when the next utterance began inside the quiet; a start is known START_FRAMES late
            utterance, settles_s = self._awaiting
            talk = piece.started and piece.onset_s < settles_s
            if talk or now_s >= settles_s + START_FRAMES * FRAME_S:
                utterance.isolation.settle(not talk)
                self._awaiting = None
        if piece.started:
            if self._held is not None and piece.onset_s - self._held.end_s <= JOIN_S:
                self._join(piece, heard, gated)
                return None
            self._held = None
            # Speech that began while coach was sounding (its start is inside the endpointer's look-back)
            # is half heard: dropped whole, like speech the gate cut into. Speech just before it: talk.
            began = frame_end - len(piece.audio) / 2 / RATE
            self._spoiled = self._gated_until > began or piece.quiet_before_s < QUIET_AROUND_S
            self._audio, self._utterance_s = [], 0.0
            self._onset_s = piece.onset_s
            self._voiced_frames = 0
            if self._first_pass is not None:
                self._first_pass.start()
        elif self._held is not None:
            self._wait_for_more(heard, gated, now_s)
            return None
        if not self._endpointer.in_speech and not piece.ended:
            return None
        if gated:
            self._spoiled = True
        self._utterance_s += len(piece.audio) / 2 / RATE
        if self._utterance_s * 1000 > MAX_UTTERANCE_MS:
            self._spoiled, self._audio = True, []
        if not self._spoiled:
            self._audio.append(piece.audio)
            if self._first_pass is not None:
                self._first_pass.feed(piece.audio)
            self._voiced_frames += _voiced(piece.audio)   # with the look-back
        if not piece.ended:
            return None
        speech_s = piece.end_s - self._onset_s
        quick = self._first_pass.finish(speech_s) if self._first_pass is not None else None   # always ends it
        if self._spoiled or self._voiced_frames < VOICED_FRAMES_MIN:
            return None
        if self._wake_word and speech_s < WAKE_ALONE_MAX_S:
            self._held = _Held(list(self._audio), [], self._onset_s, piece.end_s, self._utterance_s,
                               self._voiced_frames)
            return None
        return self._returned(b"".join(self._audio), speech_s, origin + piece.end_s, quick, piece.end_s)

    def flush(self) -> None:
        """The end of the stream: what waits is settled (nothing followed it)."""
        if self._awaiting is not None:
            self._awaiting[0].isolation.settle(True)
            self._awaiting = None
        self._held = None   # "coach" on its own: nothing (see _wait_for_more)
        return None

    def _returned(self, audio: bytes, speech_s: float, speech_end: float, quick: Recognition | None,
                  end_s: float) -> Utterance:
        utterance = Utterance(audio, speech_s, speech_end, quick)
        self._awaiting = (utterance, end_s + QUIET_AROUND_S)
        return utterance

    def _wait_for_more(self, heard: bytes, gated: bool, now_s: float) -> None:
        held = self._held
        assert held is not None
        held.since.append(heard)
        held.gated = held.gated or gated
        if now_s - held.end_s < JOIN_S:
            return
        # Nothing followed: "coach" on its own (or a short remark): not decoded (see WAKE_ALONE_MAX_S)
        self._held = None

    def _join(self, piece: Piece, heard: bytes, gated: bool) -> None:
        """The second part began: the two (and the quiet between) go on as one utterance."""
        held = self._held
        assert held is not None
        self._held = None
        held.since.append(heard)
        gap = held.since
        self._audio = [*held.audio, *gap]
        self._spoiled = held.gated or gated
        self._onset_s = held.onset_s
        self._utterance_s = held.utterance_s + len(gap) * FRAME_S
        self._voiced_frames = held.voiced_frames + _voiced(piece.audio)
        if self._first_pass is not None:
            self._first_pass.start()
            self._first_pass.feed(b"".join(self._audio))


def _voiced(audio: bytes) -> int:
    return sum(is_voiced(audio[i:i + FRAME_BYTES]) for i in range(0, len(audio), FRAME_BYTES))


class Judge:
    """What an utterance means. With a strong recognizer (confirm), the first pass only raises a
    provisional safety stop; without one, the first pass decides."""

    def __init__(self, confirm: Recognizer | None):
        self.confirm = confirm

    def provisional(self, utterance: Utterance) -> bool:
        return (self.confirm is not None and utterance.quick is not None
                and utterance.quick.command == SAFETY_STOP)

    def early(self, utterance: Utterance, now: float) -> HeardCommand | None:
        """The provisional stop to report the moment the utterance ends, if it raises one."""
        if not self.provisional(utterance):
            return None
        assert utterance.quick is not None
        return HeardCommand(utterance.quick, utterance.speech_end, now, "provisional")

    def decide(self, utterance: Utterance) -> Recognition | None:
        if self.confirm is None:
            return utterance.quick
        return self.confirm.recognize(utterance.audio, utterance.speech_s)

    def idle(self) -> None:
        """No utterance waits: the strong recognizer gets ready for the next one."""
        if self.confirm is not None:
            self.confirm.prepare()

    def outcome(self, utterance: Utterance, heard: Recognition | None, now: float) -> list[HeardCommand]:
        """The events once decided: a provisional stop is withdrawn unless the decision is the stop."""
        out = []
        if self.provisional(utterance) and (heard is None or heard.command != SAFETY_STOP):
            assert utterance.quick is not None
            out.append(HeardCommand(utterance.quick, utterance.speech_end, now, "withdrawn"))
        if heard is not None:
            out.append(HeardCommand(heard, utterance.speech_end, now))
        return out


def load_recognizers(backend: str, wake_word: bool) -> tuple[StreamingRecognizer, Judge]:
    """(the grammar's first pass, the judge): heavy, call on the listening thread."""
    from coach.listen.backends import load
    from coach.listen.grammar import CommandRecognizer

    first = CommandRecognizer(wake_word)
    return first, Judge(None if backend == "pocketsphinx" else load(backend, wake_word))


class Listener:
    """While in the block, hears commands and calls on_heard(HeardCommand) for each (stage provisional
    and withdrawn too). The recognizers load on the thread, so the session is never held up; opening
    the microphone is done at once, so the caller learns straight away (AudioInputError) that there is none."""

    def __init__(self, on_heard: Callable[[HeardCommand], None], gate: SpeechGate | None = None,
                 wake_word: bool = False, source: FrameSource | None = None,
                 on_ready: Callable[[BaseException | None], None] | None = None,
                 backend: str = DEFAULT_RECOGNIZER):
        self._on_heard = on_heard
        self._on_ready = on_ready   # called on the thread once listening (None) or when it failed (the error)
        self._gate = gate
        self._wake_word = wake_word
        self._source = source
        self._backend = backend
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._waiting: queue.Queue[Utterance | None] = queue.Queue()
        self.ready = threading.Event()      # set once the recognizers are loaded and listening
        self.error: BaseException | None = None
        self._answers = False
        self._recognizers: list[Recognizer] = []

    def hear_answers(self, on: bool) -> None:
        """From any thread: hear the rating answers too (coach asked its question), or no longer."""
        self._answers = on
        for recognizer in self._recognizers:
            recognizer.answers = on

    def __enter__(self) -> Listener:
        if self._source is None:
            self._source = Microphone().open()
        thread = threading.Thread(target=self._run, name="coach-listen", daemon=True)
        self._threads.append(thread)
        thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._waiting.put(None)
        for thread in self._threads:
            thread.join(EXIT_WAIT_S)
        if self._source is not None:
            self._source.close()

    def _run(self) -> None:
        source = self._source
        assert source is not None
        try:
            first, judge = load_recognizers(self._backend, self._wake_word)
            if self._stop.is_set():
                return      # the session ended while they loaded
            self._recognizers = [first, *([judge.confirm] if judge.confirm is not None else [])]
            self.hear_answers(self._answers)   # asked for while the recognizers were loading
            utterances = Utterances(first, self._gate, self._wake_word)
            decoder = threading.Thread(target=self._decode, args=(judge,), name="coach-listen-decode", daemon=True)
            self._threads.append(decoder)
            decoder.start()
            self._set_ready()
            frames = 0
            while not self._stop.is_set():
                frame = source.read()
                frames += 1
                utterance = utterances.push(frame, source.started + frames * FRAME_S, source.started)
                if utterance is None:
                    continue
                early = judge.early(utterance, time.monotonic())
                if early is not None:
                    self._on_heard(early)
                self._waiting.put(utterance)
        except Exception as exc:  # noqa: BLE001 - listening fails alone; the session and its keys go on
            self.error = exc
            self._set_ready()

    def _decode(self, judge: Judge) -> None:
        """One utterance at a time. One that waited past STALE_S is not acted on (a "pause" obeyed 5 s
        late is wrong), except a provisional stop, which must always be confirmed or withdrawn."""
        while True:
            utterance = self._waiting.get()
            if utterance is None or self._stop.is_set():
                return
            if time.monotonic() - utterance.speech_end > STALE_S and not judge.provisional(utterance):
                continue
            if utterance.isolation.settled and not utterance.isolation.alone:
                heard = None   # talk followed it: not worth a decode
            else:
                try:
                    heard = judge.decide(utterance)
                except Exception:  # noqa: BLE001 - one utterance that cannot be decoded is not heard...
                    heard = utterance.quick if judge.provisional(utterance) else None   # ...but a stop stands
                # Decoding took longer than the quiet after it, so this rarely waits (measured: docs/voice-commands.md)
                if heard is not None and not utterance.isolation.wait(QUIET_AROUND_S + 1.0):
                    heard = None
            if self._stop.is_set():
                return     # decided after the session ended: there is nothing left to tell
            for event in judge.outcome(utterance, heard, time.monotonic()):
                self._on_heard(event)
            if self._waiting.empty() and not self._stop.is_set():
                try:
                    judge.idle()
                except Exception:  # noqa: BLE001 - what it failed to make, the next decode makes (or fails on)
                    pass

    def _set_ready(self) -> None:
        if not self.ready.is_set():
            self.ready.set()
            if self._on_ready is not None:
                self._on_ready(self.error)
