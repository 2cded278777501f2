"""One Whisper model (CTranslate2, int8 on the CPU) as a command recognizer's parts: the encoder pass,
one beam search from a given start, and the score of given words (forced alignment). The Whisper
backend (coach.listen.whisper) holds two: base, which decides, and tiny.en, a second opinion.

Heavy: faster-whisper is imported here, and only here, when listening starts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

BEAM_SIZE = 5
MAX_TOKENS = 224            # a command is a few tokens; this only bounds a looping decode
WINDOW_FRAMES = 3000        # the encoder's 30 s window, in mel frames


class WhisperDecoder:
    def __init__(self, folder: Path, threads: int):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")   # a local folder needs nothing from the hub: never ask it
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        self.model: Any = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=threads)
        self.tokenizer: Any = Tokenizer(self.model.hf_tokenizer, self.model.model.is_multilingual,
                                        task="transcribe", language="en")
        self._starts: dict[str, list[int]] = {}
        self.plain = self.start("")           # no prompt

    def start(self, prompt: str) -> list[int]:
        """The tokens a decode starts from, with prompt as the previous text ("" for none)."""
        if prompt not in self._starts:
            tokens = self.tokenizer.encode(" " + prompt) if prompt else []
            self._starts[prompt] = self.model.get_prompt(self.tokenizer, tokens, without_timestamps=True)
        return self._starts[prompt]

    def encode(self, audio: bytes) -> tuple[Any, int]:
        """The encoder's output for one utterance (16 kHz mono int16; the costly part), and its number
        of mel frames."""
        from faster_whisper.audio import pad_or_trim

        samples = np.frombuffer(audio, dtype="<i2").astype(np.float32) / 32768
        features = self.model.feature_extractor(samples)
        return self.model.encode(pad_or_trim(features)), min(int(features.shape[-1]), WINDOW_FRAMES)

    def decode(self, encoded: Any, start: list[int]) -> tuple[str, float]:
        """One beam search at temperature 0: (text, avg_logprob). faster-whisper's transcribe() decodes
        again at rising temperatures whenever avg_logprob is below -1, which is every noise that gets
        here: up to six decodes of audio LOGPROB_MIN rejects anyway, and a random answer."""
        result = self.model.model.generate(
            encoded, [start], beam_size=BEAM_SIZE, return_scores=True, max_length=MAX_TOKENS,
            suppress_blank=True, suppress_tokens=[-1])[0]
        ids = result.sequences_ids[0]
        # the score is the log-probability per token (length penalty 1); faster-whisper's avg_logprob,
        # which LOGPROB_MIN was measured on, divides the sum by one token more (the end of the text)
        return self.tokenizer.decode(ids).strip(), result.scores[0] * len(ids) / (len(ids) + 1)

    def forced(self, encoded: Any, frames: int, start: list[int], text: str) -> float:
        """avg_logprob of text as the transcript from start (forced alignment on the same encoder output)."""
        tokens = self.tokenizer.encode(" " + text)
        aligned = self.model.model.align(encoded, start, [tokens], [frames])[0]
        return float(np.sum(np.log(np.maximum(aligned.text_token_probs, 1e-12)))) / (len(tokens) + 1)
