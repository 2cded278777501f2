"""The grammar backend: pocketsphinx, offline, from the model inside its wheel. Instant and streaming,
so it is the fast first pass before Whisper (and the recognizer when Whisper's weights are missing).

The decoder knows only the command phrases (a JSGF grammar), so it always answers with the closest
phrase. A phrase is accepted only when its acoustic score per 10 ms frame is within CONFIDENCE_MIN of
the best any sound could have scored: pocketsphinx keeps path scores relative to the best-scoring
state of each frame, so a word's score is already that comparison (0 = nothing fits better). A free
phone loop, decoded alongside in an earlier version, scored within 0.05 of that best on every
segment: it added nothing and was dropped. docs/voice-commands.md says why pocketsphinx, and how far
this confidence separates commands from other speech (not far enough).
"""

from __future__ import annotations

import math
from typing import Any

from coach.listen.backends import Recognition
from coach.listen.commands import ANSWER_PHRASES, WAKE_WORD, command_for, phrases

CONFIDENCE_MIN = -4.0   # log-likelihood per frame below the best state's; tuned in scripts/bench (listen)
COVERAGE_MIN = 0.6      # the phrase must fill this much of the speech: "stop if it hurts" is not "stop"
_FILLERS = {"<s>", "</s>", "<sil>", "[noise]", "[breath]", "[cough]", "[laugh]", "[um]", "[uh]"}


class CommandRecognizer:
    """Feed one utterance (16 kHz mono int16 bytes) with start / feed / finish, or all at once with
    recognize. Recognition.score: per-frame log-likelihood relative to the best state's (0 = nothing
    fits better)."""

    name = "pocketsphinx"

    def __init__(self, wake_word: bool = False, confidence_min: float = CONFIDENCE_MIN):
        import pocketsphinx  # heavy: only when listening

        self.confidence_min = confidence_min
        self.wake_word = wake_word
        self._grammar: Any = pocketsphinx.Decoder(loglevel="FATAL")
        self._grammar.add_jsgf_string("commands", _jsgf(phrases(wake_word)))
        # The rating answers with the commands, the wake word optional (coach.listen.commands)
        self._grammar.add_jsgf_string("answers", _jsgf((*phrases(False), *ANSWER_PHRASES), optional_wake=True))
        self._grammar.activate_search("commands")
        self._search = "commands"
        self.answers = False   # also hear the rating answers; takes effect from the next utterance
        self._open = False

    def start(self) -> None:
        if self._open:   # an utterance cut off when its stream ended: dropped
            self._grammar.end_utt()
        wanted = "answers" if self.answers else "commands"
        if wanted != self._search:   # only between utterances
            self._grammar.activate_search(wanted)
            self._search = wanted
        self._grammar.start_utt()
        self._open = True

    def feed(self, audio: bytes) -> None:
        self._grammar.process_raw(audio, False, False)

    def finish(self, speech_s: float | None = None) -> Recognition | None:
        """The command in the utterance fed since start(), or None when nothing was said with confidence.
        speech_s: how long the speech in it lasted (the endpointer knows), to tell a phrase said on its
        own from one word of a longer sentence."""
        self._grammar.end_utt()
        self._open = False
        hyp = self._grammar.hyp()
        command = command_for(hyp.hypstr, self._search == "answers") if hyp is not None else None
        if command is None:
            return None
        words = [s for s in (self._grammar.seg() or []) if s.word not in _FILLERS]
        if not words:
            return None
        first, last = words[0].start_frame, words[-1].end_frame
        frames = last - first + 1
        if speech_s is not None and frames / 100 < COVERAGE_MIN * speech_s:
            return None
        confidence = sum(_log(s.ascore) for s in words) / frames
        if confidence < self.confidence_min:
            return None
        return Recognition(hyp.hypstr, command, round(confidence, 2))

    def prepare(self) -> None:
        """Nothing to get ready: the grammar is instant."""

    def recognize(self, audio: bytes, speech_s: float) -> Recognition | None:
        self.start()
        self.feed(audio)
        return self.finish(speech_s)


def create(wake_word: bool = False) -> CommandRecognizer:
    return CommandRecognizer(wake_word)


def _jsgf(alternatives: tuple[str, ...], optional_wake: bool = False) -> str:
    choice = " | ".join(alternatives)
    rule = f"[{WAKE_WORD}] ({choice})" if optional_wake else choice
    return "#JSGF V1.0;\ngrammar commands;\npublic <command> = " + rule + ";\n"


def _log(probability: float) -> float:
    # pocketsphinx hands scores back as probabilities; an underflow to 0 is "as unlikely as it gets"
    return math.log(probability) if probability > 0 else -1e4
