"""The Whisper backend: Whisper base through faster-whisper (CTranslate2, int8 on the CPU), offline.

Used as a command recognizer, not a dictation engine: beam search with the command phrases as the
initial prompt (it then writes "Stop." rather than "Top." or "Stoop"), each utterance on its own
(condition_on_previous_text off), and a command only when the WHOLE transcript is one phrase: a remark
that holds a command word ("stop if it hurts") is not one. With the prompt it answers "Stop." to pure
noise; such answers score an avg_logprob of -1.08 or less and true commands -0.64 or more, so
LOGPROB_MIN rejects them (the voicing check before it drops most noise anyway). In a quiet room a
command must also be heard without the prompt, and one heard there only by the score of its words must
be written by Whisper tiny.en too (a second, smaller model; not asked of the safety stop); in
noise, an utterance that is not a command is decoded once more with the noise taken out by
DeepFilterNet (coach.listen.denoise), where it is surer of itself.

Cost: the encoder always runs over a 30 s window, about 1.6 CPU-seconds an utterance whatever its
length (short input fed unpadded is 30x cheaper but comes back empty or looping), so only the short,
voiced, ungated utterances the endpointer lets through ever reach it. Measured in docs/voice-commands.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.listen import denoise as denoise_module
from coach.listen.backends import Recognition
from coach.listen.commands import PHRASE_COMMANDS, SAFETY_STOP, WAKE_WORD, command_in_transcript, vocabulary
from coach.listen.endpoint import snr_db

if TYPE_CHECKING:
    from coach.listen.whisper_decode import WhisperDecoder

LOGPROB_MIN = -1.0          # noise scored at most -1.08 with the prompt, commands at least -0.64
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
        from coach.listen.whisper_decode import WhisperDecoder  # heavy: only when listening

        folder = whisper_model.find()
        self.wake_word = wake_word
        self.threads = threads or int(os.environ.get(THREADS_ENV) or THREADS)
        self._base = WhisperDecoder(folder, self.threads)
        self.answers = False        # also hear the rating answers (coach.listen.commands.RATING_ANSWERS)
        self.decodes = 0            # utterances transcribed (the benchmarks divide CPU time by it)
        self.denoised = 0           # of them, the ones listened to again with the noise taken out
        self.second_opinions = 0    # of them, the ones tiny.en was asked about
        self._second: WhisperDecoder | None = None
        self._second_folder: Path | None = None     # tiny.en, loaded when first asked
        try:
            self._second_folder = whisper_model.find_second_opinion()
        except whisper_model.ModelMissing:     # not installed: base decides alone
            pass
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

    def _second_opinion(self) -> WhisperDecoder | None:
        """tiny.en, loaded when first asked (None when it is not installed or cannot load: base decides
        alone). Not ahead: loading it quantizes its weights, 0.5 s of CPU, and on a busy machine seconds,
        which the commands waiting behind it would pay; most sessions never ask it."""
        if self._second is None and self._second_folder is not None:
            from coach.listen.whisper_decode import WhisperDecoder

            folder, self._second_folder = self._second_folder, None    # tried once
            try:
                self._second = WhisperDecoder(folder, self.threads)
            except (RuntimeError, ValueError):     # damaged: CTranslate2 cannot read it
                pass
        return self._second

    def transcribe(self, audio: bytes) -> tuple[str, float]:
        """(the transcript, its avg_logprob) of one utterance, with the prompt."""
        self.decodes += 1
        encoded, _frames = self._base.encode(audio)
        return self._base.decode(encoded, self._prompted(self._base))

    def recognize(self, audio: bytes, speech_s: float) -> Recognition | None:
        self.decodes += 1
        encoded, frames = self._base.encode(audio)
        found, logprob = self._command(encoded)
        quiet = snr_db(audio) >= QUIET_SNR_DB
        if found is not None and logprob > LOGPROB_MIN:
            if quiet and not self._heard_unprompted(audio, encoded, frames, found):
                return None
            return Recognition(found[0], found[1], round(logprob, 2))
        if quiet or self._denoiser is None:
            return None
        return self._heard_denoised(audio)

    def _heard_denoised(self, audio: bytes) -> Recognition | None:
        """The second listen in noise: the same prompted decode of the utterance with the noise taken
        out (coach.listen.denoise). Whisper writes some voices' "pause" at 10 dB as "Home." or "Oh.",
        and the denoised audio as "Pause."."""
        encoded, _frames = self._base.encode(self._denoiser.denoise(audio))
        self.denoised += 1
        found, logprob = self._command(encoded)
        if found is None or logprob <= DENOISED_LOGPROB_MIN:
            return None
        return Recognition(found[0], found[1], round(logprob, 2))

    def _command(self, encoded: Any) -> tuple[tuple[str, str] | None, float]:
        """(the command the prompted decode's whole transcript is, or None; its avg_logprob)."""
        text, logprob = self._base.decode(encoded, self._prompted(self._base))
        return command_in_transcript(text, self.wake_word, self.answers), logprob

    def _heard_unprompted(self, audio: bytes, encoded: Any, frames: int, found: tuple[str, str]) -> bool:
        """Whether Whisper without the prompt hears the command too: the same command, or its words
        scored no more than UNPROMPTED_GAP below what it did hear. The prompt pulls a short word
        towards the phrases it lists ("push" is written "Pause.", "feet" "Repeat."); unprompted, in
        a quiet room, Whisper writes the word that was said. A command heard only through the gap
        must also be the second opinion's (tiny.en), unless it is the safety stop: a stop obeyed
        wrongly is the safe mistake, a "help" refused is not."""
        text, logprob = self._base.decode(encoded, self._base.plain)
        heard = command_in_transcript(text, self.wake_word, self.answers)
        if heard is not None and heard[1] == found[1]:
            return True
        words = said(found[0], self.wake_word, self.answers)
        if self._base.forced(encoded, frames, self._base.plain, words) < logprob - UNPROMPTED_GAP:
            return False
        return found[1] == SAFETY_STOP or self._second_agrees(audio, found)

    def _second_agrees(self, audio: bytes, found: tuple[str, str]) -> bool:
        """Whether tiny.en, prompted as base was, writes the same command (True when it is not installed:
        base alone decides, as before round 7)."""
        second = self._second_opinion()
        if second is None:
            return True
        self.second_opinions += 1
        encoded, _frames = second.encode(audio)
        text, logprob = second.decode(encoded, self._prompted(second))
        heard = command_in_transcript(text, self.wake_word, self.answers)
        return heard is not None and heard[1] == found[1] and logprob > LOGPROB_MIN

    def _prompted(self, decoder: WhisperDecoder) -> list[int]:
        return decoder.start(prompt(self.wake_word, self.answers))


def create(wake_word: bool = False) -> WhisperRecognizer:
    return WhisperRecognizer(wake_word)
