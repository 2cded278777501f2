"""The Whisper backend: Whisper base through faster-whisper (CTranslate2, int8 on the CPU), offline.

Used as a command recognizer, not a dictation engine: beam search with the command phrases as the
initial prompt (it then writes "Stop." rather than "Top." or "Stoop"), each utterance on its own
(condition_on_previous_text off), and a command only when the WHOLE transcript is one phrase: a remark
that holds a command word ("stop if it hurts") is not one. With the prompt it answers "Stop." to pure
noise; such answers score an avg_logprob of -1.08 or less and true commands -0.64 or more, so
LOGPROB_MIN rejects them (the voicing check before it drops most noise anyway). In a quiet room a
command must also be heard without the prompt; in noise, an utterance that is not a command is decoded
once more with the noise taken out by DeepFilterNet (coach.listen.denoise), where it is surer of itself.

Cost: the encoder always runs over a 30 s window, about 1.6 CPU-seconds an utterance whatever its
length (short input fed unpadded is 30x cheaper but comes back empty or looping), so only the short,
voiced, ungated utterances the endpointer lets through ever reach it. Measured in docs/voice-commands.md.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from coach.listen import denoise as denoise_module
from coach.listen.backends import Recognition
from coach.listen.commands import PHRASE_COMMANDS, WAKE_WORD, command_in_transcript, vocabulary
from coach.listen.endpoint import snr_db

LOGPROB_MIN = -1.0          # noise scored at most -1.08 with the prompt, commands at least -0.64
BEAM_SIZE = 5
MAX_TOKENS = 224            # a command is a few tokens; this only bounds a looping decode
WINDOW_FRAMES = 3000        # the encoder's 30 s window, in mel frames
# In a quiet room (the utterance this far over its own quiet parts) Whisper must hear a command without
# the prompt too. In noise it is not asked: unprompted it misses commands there (measured:
# docs/voice-commands.md), and the noise is what the prompt is for.
QUIET_SNR_DB = 25.0
UNPROMPTED_GAP = 1.0        # how far below the unprompted best a command may score (avg_logprob)
# In noise, an utterance the plain listen did not hear as a command is decoded once more with the noise
# taken out (coach.listen.denoise). That listen must be surer: the commands it found scored -0.33 or
# better, the remarks it turned into commands -0.53 or worse, but for two words and two sound-alikes
# that score like commands (docs/voice-commands.md).
DENOISED_LOGPROB_MIN = -0.45
THREADS_ENV = "COACH_WHISPER_THREADS"
THREADS = 2                 # on 2 cores; the player's lateness was measured both ways (docs/benchmarks.md)


def said(phrase: str, wake_word: bool = False, answers: bool = False) -> str:
    """A phrase as Whisper writes it: "Pause.", "How long?", "Coach, pause." (answers: never the wake word)."""
    text = f"{WAKE_WORD.capitalize()}, {phrase}" if wake_word and not answers else phrase.capitalize()
    return text + ("?" if phrase == "how long" else ".")


def prompt(wake_word: bool = False, answers: bool = False) -> str:
    """The phrases as a person says them: "Pause. Resume. ... How long? ..." (or "Coach, pause. ...").
    With answers, the rating answers first ("Easier. Easy. ..."), and no wake word."""
    table = vocabulary(answers)
    return " ".join(said(p, wake_word, answers) for p in sorted(table, key=lambda p: p in PHRASE_COMMANDS))


class WhisperRecognizer:
    name = "whisper"

    def __init__(self, wake_word: bool = False, threads: int | None = None, denoise: bool = True):
        from coach.listen import whisper_model

        folder = whisper_model.find()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")   # a local folder needs nothing from the hub: never ask it
        from faster_whisper import WhisperModel  # heavy: only when listening
        from faster_whisper.tokenizer import Tokenizer

        self.wake_word = wake_word
        self.threads = threads or int(os.environ.get(THREADS_ENV) or THREADS)
        self._model: Any = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=self.threads)
        self._tokenizer: Any = Tokenizer(self._model.hf_tokenizer, self._model.model.is_multilingual,
                                         task="transcribe", language="en")
        self._prompts: dict[tuple[bool, bool], list[int]] = {}
        self._plain = self._model.get_prompt(self._tokenizer, [], without_timestamps=True)   # no prompt
        self.answers = False        # also hear the rating answers (coach.listen.commands.RATING_ANSWERS)
        self.decodes = 0            # utterances transcribed (the benchmarks divide CPU time by it)
        self.denoised = 0           # of them, the ones listened to again with the noise taken out
        self._denoiser: Any = None
        if denoise:
            try:
                self._denoiser = denoise_module.Denoiser()
            except denoise_module.DenoiserMissing:   # not installed, or cannot load here: Whisper listens once
                pass
        self.prepare()

    def prepare(self) -> None:
        """Get ready for the next utterance while none waits: the denoiser's next model state (0.3 s
        of the second listen otherwise)."""
        if self._denoiser is not None:
            self._denoiser.prepare()

    def transcribe(self, audio: bytes) -> tuple[str, float]:
        """(the transcript, its avg_logprob) of one utterance, with the prompt."""
        self.decodes += 1
        encoded, _frames = self._encode(audio)
        return self._decode(encoded, self._prompt_tokens())

    def recognize(self, audio: bytes, speech_s: float) -> Recognition | None:
        self.decodes += 1
        encoded, frames = self._encode(audio)
        found, logprob = self._command(encoded)
        quiet = snr_db(audio) >= QUIET_SNR_DB
        if found is not None and logprob > LOGPROB_MIN:
            if quiet and not self._heard_unprompted(encoded, frames, found):
                return None
            return Recognition(found[0], found[1], round(logprob, 2))
        if quiet or self._denoiser is None:
            return None
        return self._heard_denoised(audio)

    def _heard_denoised(self, audio: bytes) -> Recognition | None:
        """The second listen in noise: the same prompted decode of the utterance with the noise taken
        out (coach.listen.denoise). Whisper writes some voices' "pause" at 10 dB as "Home." or "Oh.",
        and the denoised audio as "Pause."."""
        encoded, _frames = self._encode(self._denoiser.denoise(audio))
        self.denoised += 1
        found, logprob = self._command(encoded)
        if found is None or logprob <= DENOISED_LOGPROB_MIN:
            return None
        return Recognition(found[0], found[1], round(logprob, 2))

    def _command(self, encoded: Any) -> tuple[tuple[str, str] | None, float]:
        """(the command the prompted decode's whole transcript is, or None; its avg_logprob)."""
        text, logprob = self._decode(encoded, self._prompt_tokens())
        return command_in_transcript(text, self.wake_word, self.answers), logprob

    def _heard_unprompted(self, encoded: Any, frames: int, found: tuple[str, str]) -> bool:
        """Whether Whisper without the prompt hears the command too: the same command, or its words
        scored no more than UNPROMPTED_GAP below what it did hear. The prompt pulls a short word
        towards the phrases it lists ("push" is written "Pause.", "feet" "Repeat."); unprompted, in
        a quiet room, Whisper writes the word that was said."""
        text, logprob = self._decode(encoded, self._plain)
        heard = command_in_transcript(text, self.wake_word, self.answers)
        if heard is not None and heard[1] == found[1]:
            return True
        tokens = self._tokenizer.encode(" " + said(found[0], self.wake_word, self.answers))
        aligned = self._model.model.align(encoded, self._plain, [tokens], [frames])[0]
        forced = float(np.sum(np.log(np.maximum(aligned.text_token_probs, 1e-12)))) / (len(tokens) + 1)
        return forced >= logprob - UNPROMPTED_GAP

    def _encode(self, audio: bytes) -> tuple[Any, int]:
        """The encoder's output for one utterance (the costly part), and its number of mel frames."""
        from faster_whisper.audio import pad_or_trim

        samples = np.frombuffer(audio, dtype="<i2").astype(np.float32) / 32768
        features = self._model.feature_extractor(samples)
        return self._model.encode(pad_or_trim(features)), min(int(features.shape[-1]), WINDOW_FRAMES)

    def _decode(self, encoded: Any, start: list[int]) -> tuple[str, float]:
        """One beam search at temperature 0: (text, avg_logprob). faster-whisper's transcribe() decodes
        again at rising temperatures whenever avg_logprob is below -1, which is every noise that gets
        here: up to six decodes of audio LOGPROB_MIN rejects anyway, and a random answer."""
        result = self._model.model.generate(
            encoded, [start], beam_size=BEAM_SIZE, return_scores=True, max_length=MAX_TOKENS,
            suppress_blank=True, suppress_tokens=[-1])[0]
        ids = result.sequences_ids[0]
        # the score is the log-probability per token (length penalty 1); faster-whisper's avg_logprob,
        # which LOGPROB_MIN was measured on, divides the sum by one token more (the end of the text)
        return self._tokenizer.decode(ids).strip(), result.scores[0] * len(ids) / (len(ids) + 1)

    def _prompt_tokens(self) -> list[int]:
        key = (self.wake_word, self.answers)
        if key not in self._prompts:
            text = prompt(self.wake_word, self.answers)
            self._prompts[key] = self._model.get_prompt(
                self._tokenizer, self._tokenizer.encode(" " + text), without_timestamps=True)
        return self._prompts[key]


def create(wake_word: bool = False) -> WhisperRecognizer:
    return WhisperRecognizer(wake_word)
