"""Listening on a thread while a session plays: microphone -> gate -> endpointer -> recognizer -> callback.

The endpointer (coach.listen.endpoint) cuts the stream into utterances. A command is
said on its own, so an utterance longer than MAX_UTTERANCE_MS is not one and is never decoded; one that
overlaps coach's own sound (the gate) is dropped whole. An utterance is decoded as it comes in and judged
the moment the endpointer hears it end (END_FRAMES of quiet), so the action follows the end of the
word by about that much.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from coach.listen.gate import SpeechGate
from coach.listen.microphone import FRAME_BYTES, FRAME_S, RATE, Microphone
from coach.listen.recognizer import CommandRecognizer, Recognition
from coach.listen.voicing import VOICED_FRAMES_MIN, is_voiced

MAX_UTTERANCE_MS = 2_500     # the longest phrase, "coach, safety stop", said slowly, with preroll and end
_SILENCE = bytes(FRAME_BYTES)


class FrameSource(Protocol):
    started: float
    def read(self) -> bytes: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class HeardCommand:
    heard: Recognition
    speech_end: float    # monotonic time the speech ended (the endpointer's estimate)
    acted: float         # monotonic time the callback was called

    @property
    def latency_ms(self) -> float:
        return (self.acted - self.speech_end) * 1000


class Utterances:
    """The listening loop without a thread: push frames in, get HeardCommands out. Used by Listener
    and, on recorded audio, by the benchmarks."""

    def __init__(self, recognizer: CommandRecognizer, gate: SpeechGate | None = None,
                 clock: Callable[[], float] = time.monotonic):
        from coach.listen.endpoint import Endpointer

        self._recognizer = recognizer
        self._gate = gate
        self._clock = clock
        self._endpointer = Endpointer()
        self._spoiled = False      # overlapped coach's sound, or too long: decoded no further
        self._utterance_s = 0.0
        self._gated_until = float("-inf")   # stream time the gate last closed a frame
        self._onset_s = 0.0
        self._voiced_frames = 0

    def push(self, frame: bytes, frame_end: float, origin: float) -> HeardCommand | None:
        """One frame of audio ending at monotonic time frame_end; origin is when the stream started."""
        gated = self._gate is not None and self._gate.closed(frame_end - FRAME_S)
        if gated:
            self._gated_until = frame_end
        piece = self._endpointer.push(_SILENCE if gated else frame)
        if piece.started:
            # Speech that began while coach was sounding (its start is inside the endpointer's look-back)
            # is half heard: dropped whole, like speech the gate cut into.
            began = frame_end - len(piece.audio) / 2 / RATE
            self._spoiled, self._utterance_s = self._gated_until > began, 0.0
            self._onset_s = piece.onset_s
            self._voiced_frames = 0
            self._recognizer.start()
        if not self._endpointer.in_speech and not piece.ended:
            return None
        if gated:
            self._spoiled = True
        self._utterance_s += len(piece.audio) / 2 / RATE
        if self._utterance_s * 1000 > MAX_UTTERANCE_MS:
            self._spoiled = True
        if not self._spoiled:
            self._recognizer.feed(piece.audio)
            self._voiced_frames += sum(is_voiced(piece.audio[i:i + FRAME_BYTES])   # with the look-back
                                       for i in range(0, len(piece.audio), FRAME_BYTES))
        if not piece.ended:
            return None
        heard = self._recognizer.finish(piece.end_s - self._onset_s)   # always ends the utterance
        if heard is None or self._spoiled or self._voiced_frames < VOICED_FRAMES_MIN:
            return None
        return HeardCommand(heard, origin + piece.end_s, self._clock())


class Listener:
    """While in the block, hears commands and calls on_heard(HeardCommand) for each. The recognizer
    loads on the thread, so the session is never held up; opening the microphone is done at once, so
    the caller learns straight away (AudioInputError) that there is none."""

    def __init__(self, on_heard: Callable[[HeardCommand], None], gate: SpeechGate | None = None,
                 wake_word: bool = False, source: FrameSource | None = None,
                 on_ready: Callable[[BaseException | None], None] | None = None):
        self._on_heard = on_heard
        self._on_ready = on_ready   # called on the thread once listening (None) or when it failed (the error)
        self._gate = gate
        self._wake_word = wake_word
        self._source = source
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()      # set once the recognizer is loaded and listening
        self.error: BaseException | None = None

    def __enter__(self) -> Listener:
        if self._source is None:
            self._source = Microphone().open()
        self._thread = threading.Thread(target=self._run, name="coach-listen", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
        if self._source is not None:
            self._source.close()

    def _run(self) -> None:
        source = self._source
        assert source is not None
        try:
            utterances = Utterances(CommandRecognizer(self._wake_word), self._gate)
            self._set_ready()
            frames = 0
            while not self._stop.is_set():
                frame = source.read()
                frames += 1
                heard = utterances.push(frame, source.started + frames * FRAME_S, source.started)
                if heard is not None:
                    self._on_heard(heard)
        except Exception as exc:  # noqa: BLE001 - listening fails alone; the session and its keys go on
            self.error = exc
            self._set_ready()

    def _set_ready(self) -> None:
        if not self.ready.is_set():
            self.ready.set()
            if self._on_ready is not None:
                self._on_ready(self.error)
