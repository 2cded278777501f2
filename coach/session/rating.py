"""The one question at the end of a completed session, asked out loud and on screen: "How was that:
easier, right, or harder?" coach.progression reads the answer (a "harder" eases the holds next time).

Asked only when someone can answer: keys on a terminal (e, r, h; Enter skips), or voice commands
(say "easier", "right" or "harder"; "skip" or "stop" for no answer; no wake word needed, coach asked).
It waits ANSWER_WAIT_S after the question for an answer, since a person lying on a mat may take a
moment; silence is no answer. An answer is acknowledged out loud, so it is known to be heard.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from coach.vocab import RATINGS

if TYPE_CHECKING:
    import numpy as np

    from coach.player import Event, Output, Player
    from coach.session.listening import VoiceControl
    from coach.timeline.model import Timeline

QUESTION = "How was that: easier, right, or harder?"
THANKS: dict[str, str] = {rating: f"Noted: {rating}. Thank you." for rating in RATINGS}
RATING_TEXTS: tuple[str, ...] = (QUESTION, *THANKS.values())   # synthesised ahead, kept by cache prune
ANSWER_WAIT_S = 20.0
# The question's keys: a rating, or no answer (Enter, q, n, s, Ctrl-C). No other key is read.
RATING_KEYS: dict[str, str] = {"e": "easier", "r": "right", "h": "harder",
                               **{key: "skip" for key in ("\n", "\r", "q", "n", "s", "\x03")}}


class _Answer:
    """The first answer given, from any thread (the keys', the listener's): a rating or None."""

    def __init__(self) -> None:
        self._given = threading.Event()
        self.rating: str | None = None
        self.on_given: Callable[[], None] = lambda: None

    def give(self, rating: str | None) -> None:
        if self._given.is_set():
            return
        self.rating = rating if rating in RATINGS else None
        self._given.set()
        self.on_given()

    def wait(self, timeout_s: float) -> bool:
        return self._given.wait(timeout_s)


def ask(timeline_of: Callable[[str], Timeline], clip_for: Callable[[str], np.ndarray], output: Output,
        voice: VoiceControl, keys: TextIO | None, screen: TextIO, log: TextIO | None,
        on_event: Callable[[Event], None]) -> str | None:
    """Ask, wait for the answer and acknowledge it; returns the rating (None: not answered, or nobody
    could answer). timeline_of(text): one sentence as a timeline, for a Player."""
    from coach.player import KeyReader

    answer = _Answer()
    with KeyReader(answer.give, keys, RATING_KEYS) as reader:
        if not (reader.active or voice.listening):
            return None
        hint = {(True, True): "e/r/h or say it, Enter to skip", (True, False): "e/r/h, Enter to skip",
                (False, True): "say easier, right or harder"}[(reader.active, voice.listening)]
        screen.write(f"{QUESTION} [{hint}]\n")
        screen.flush()
        voice.await_answer(answer.give)
        try:
            _say(timeline_of(QUESTION), clip_for, output, log, on_event, answer)
            if log is not None:   # the moment the answer is awaited, for whoever follows the log
                log.write(json.dumps({"awaiting": "rating", "wait_s": ANSWER_WAIT_S}) + "\n")
                log.flush()
            answer.wait(ANSWER_WAIT_S)
        finally:
            voice.await_answer(None)
    rating = answer.rating
    screen.write(f"Rated: {rating}.\n" if rating else "Not rated.\n")
    screen.flush()
    if rating:
        _say(timeline_of(THANKS[rating]), clip_for, output, log, on_event)
    return rating


def _say(timeline: Timeline, clip_for: Callable[[str], np.ndarray], output: Output, log: TextIO | None,
         on_event: Callable[[Event], None], answer: _Answer | None = None) -> None:
    from coach.player import Player

    player: Player = Player(timeline, clip_for, output, timing_log=log, on_event=on_event)
    if answer is not None:
        answer.on_given = lambda: player.command("quit")   # answered already: no need to finish the question
    player.run()
