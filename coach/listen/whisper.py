"""The Whisper backend: Whisper base through faster-whisper (CTranslate2, int8 on the CPU), offline.

Used as a command recognizer, not a dictation engine: beam search with the command phrases as the
initial prompt (it then writes "Stop." rather than "Top." or "Stoop"), each utterance on its own
(condition_on_previous_text off), and a command only when the WHOLE transcript is one phrase: a remark
that holds a command word ("stop if it hurts") is not one. With the prompt it answers "Stop." to pure
noise; such answers score an avg_logprob of -1.08 or less and true commands -0.64 or more, so
LOGPROB_MIN rejects them (the voicing check before it drops most noise anyway).

Cost: the encoder always runs over a 30 s window, about 1.6 CPU-seconds an utterance whatever its
length (short input fed unpadded is 30x cheaper but comes back empty or looping), so only the short,
voiced, ungated utterances the endpointer lets through ever reach it. Measured in docs/voice-commands.md.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from coach.listen.backends import Recognition
from coach.listen.commands import PHRASE_COMMANDS, WAKE_WORD, command_in_transcript, vocabulary

LOGPROB_MIN = -1.0          # noise scored at most -1.08 with the prompt, commands at least -0.64
BEAM_SIZE = 5
THREADS_ENV = "COACH_WHISPER_THREADS"
THREADS = 2                 # on 2 cores; the player's lateness was measured both ways (docs/benchmarks.md)


def prompt(wake_word: bool = False, answers: bool = False) -> str:
    """The phrases as a person says them: "Pause. Resume. ... How long? ..." (or "Coach, pause. ...").
    With answers, the rating answers first ("Easier. Easy. ..."), and no wake word."""
    def said(phrase: str) -> str:
        text = f"{WAKE_WORD.capitalize()}, {phrase}" if wake_word and not answers else phrase.capitalize()
        return text + ("?" if phrase == "how long" else ".")

    table = vocabulary(answers)
    return " ".join(said(p) for p in sorted(table, key=lambda p: p in PHRASE_COMMANDS))


class WhisperRecognizer:
    name = "whisper"

    def __init__(self, wake_word: bool = False, threads: int | None = None):
        from coach.listen import whisper_model

        folder = whisper_model.find()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")   # a local folder needs nothing from the hub: never ask it
        from faster_whisper import WhisperModel  # heavy: only when listening

        self.wake_word = wake_word
        self.threads = threads or int(os.environ.get(THREADS_ENV) or THREADS)
        self._model: Any = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=self.threads)
        self.answers = False        # also hear the rating answers (coach.listen.commands.RATING_ANSWERS)
        self.decodes = 0            # utterances transcribed (the benchmarks divide CPU time by it)

    def transcribe(self, audio: bytes) -> tuple[str, float]:
        """(the whole transcript, its lowest segment avg_logprob) of one utterance."""
        samples = np.frombuffer(audio, dtype="<i2").astype(np.float32) / 32768
        self.decodes += 1
        segments, _info = self._model.transcribe(
            samples, language="en", beam_size=BEAM_SIZE, condition_on_previous_text=False,
            initial_prompt=prompt(self.wake_word, self.answers), without_timestamps=True, vad_filter=False)
        segments = list(segments)    # a generator: decoding happens here
        text = " ".join(s.text.strip() for s in segments)
        logprob = min((s.avg_logprob for s in segments), default=float("-inf"))
        return text, logprob

    def recognize(self, audio: bytes, speech_s: float) -> Recognition | None:
        text, logprob = self.transcribe(audio)
        found = command_in_transcript(text, self.wake_word, self.answers)
        if found is None or logprob <= LOGPROB_MIN:
            return None
        return Recognition(found[0], found[1], round(logprob, 2))


def create(wake_word: bool = False) -> WhisperRecognizer:
    return WhisperRecognizer(wake_word)
