"""The question at the end of a completed session (coach.session.rating): asked only when someone can
answer, answered by a key on a real terminal (a pty) or by voice, acknowledged, and never waited on
past ANSWER_WAIT_S. The sentences play through a player over an output that finishes each sound at once;
real sessions answer it in tests/test_listen_sessions.py (voice) and tests/test_plan_session.py (a key)."""

from __future__ import annotations

import io
import os
import pty
import threading

import numpy as np
import pytest

from coach.session import rating
from coach.session.listening import VoiceControl
from coach.timeline.compiler import compile_sentences


class _Done:
    def stop(self) -> None:
        pass

    def is_playing(self) -> bool:
        return False


class QuickOutput:
    """Each sound is over as soon as it starts; remembers which text each one was."""

    def __init__(self) -> None:
        self.played: list[str] = []

    def play(self, pcm: np.ndarray) -> _Done:
        self.played.append(TEXTS[int(np.max(pcm))])
        return _Done()


TEXTS = {i + 1: text for i, text in enumerate(rating.RATING_TEXTS)}   # a clip's level names its text


def clip_for(text: str) -> np.ndarray:
    return np.full(320, next(n for n, t in TEXTS.items() if t == text), dtype=np.int16)


def timeline_of(text: str):
    return compile_sentences("rating", "Rating", (text,), lambda _t: 40, kind="outro")


class FakeListener:
    """Stands in for coach.listen.listener.Listener: records what it is asked to hear, and answers."""

    error = None

    def __init__(self, says: str | None = None) -> None:
        self.says = says
        self.hearing: list[bool] = []
        self.control: VoiceControl | None = None

    def hear_answers(self, on: bool) -> None:
        self.hearing.append(on)
        if on and self.says is not None:
            control = self.control
            assert control is not None and control.answering is not None
            threading.Thread(target=control.answering, args=(self.says,)).start()


def ask(control: VoiceControl, keys=None, log=None) -> tuple[str | None, str]:
    screen = io.StringIO()
    found = rating.ask(timeline_of, clip_for, control.output, control, keys or io.StringIO(), screen, log,
                       lambda _event: None)
    return found, screen.getvalue()


def listening(says: str | None, output: QuickOutput) -> tuple[VoiceControl, FakeListener]:
    listener = FakeListener(says)
    control = VoiceControl(output, lambda _event: None, listener=listener)   # type: ignore[arg-type]
    listener.control = control
    return control, listener


def test_nobody_to_answer_no_terminal_and_no_voice_commands_means_no_question():
    output = QuickOutput()
    found, screen = ask(VoiceControl(output, lambda _event: None))   # type: ignore[arg-type]
    assert (found, screen, output.played) == (None, "", [])


def test_a_spoken_answer_is_recorded_acknowledged_out_loud_and_the_listener_goes_back_to_commands():
    output = QuickOutput()
    control, listener = listening("harder", output)
    found, screen = ask(control)
    assert found == "harder"
    assert output.played[-1] == "Noted: harder. Thank you."
    assert set(output.played) <= {rating.QUESTION, "Noted: harder. Thank you."}   # answered maybe mid-question
    assert listener.hearing == [True, False] and control.answering is None
    assert screen.splitlines() == ["How was that: easier, right, or harder? [say easier, right or harder]",
                                   "Rated: harder."]


@pytest.mark.parametrize("heard", ["next", "safety-stop"])
def test_skip_or_stop_to_the_question_is_no_answer(heard):
    output = QuickOutput()
    control, _listener = listening(heard, output)
    found, screen = ask(control)
    assert found is None and screen.endswith("Not rated.\n")
    assert "Noted" not in " ".join(output.played)


def test_silence_is_no_answer_after_the_wait(monkeypatch):
    monkeypatch.setattr(rating, "ANSWER_WAIT_S", 0.05)
    output = QuickOutput()
    control, listener = listening(None, output)
    log = io.StringIO()
    found, screen = ask(control, log=log)
    assert found is None and output.played == [rating.QUESTION]
    assert '"awaiting": "rating"' in log.getvalue() and listener.hearing == [True, False]
    assert screen.endswith("Not rated.\n")


class _KeysWhenAsked(io.StringIO):
    """A timing log that types a key on the terminal once the question is being said (the key reader
    has the terminal by then: keys typed before it took it are flushed)."""

    def __init__(self, master: int, key: bytes) -> None:
        super().__init__()
        self.master, self.key = master, key

    def write(self, text: str) -> int:
        if rating.QUESTION in text:
            os.write(self.master, self.key)
        return super().write(text)


@pytest.mark.parametrize(("key", "expected"), [(b"e", "easier"), (b"R", "right"), (b"h", "harder"), (b"\r", None)])
def test_a_key_on_the_terminal_answers(key, expected):
    master, slave = pty.openpty()
    try:
        with os.fdopen(slave, "r", closefd=False) as keys:
            output = QuickOutput()
            found, screen = ask(VoiceControl(output, lambda _event: None), keys, _KeysWhenAsked(master, key))  # type: ignore[arg-type]
    finally:
        os.close(master)
        os.close(slave)
    assert found == expected
    assert screen.startswith("How was that: easier, right, or harder? [e/r/h, Enter to skip]\n")
    assert (output.played[-1] == f"Noted: {expected}. Thank you.") == (expected is not None)
