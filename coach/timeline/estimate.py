"""Spoken length of a text before any audio exists: a deterministic estimate from its letters.

Calibrated per engine against real renders of every text the built-in library speaks, at the
engines' natural pace (175 words a minute): `python -m tools.calibrate_estimate` fits COEFFICIENTS
and prints the error they leave (docs/benchmarks.md has the figures). Rendered audio replaces the
estimate once clips exist (the compiler takes either through the same `spoken_ms` function).
Measured on six coaching sentences at 90, 175 and 400 words a minute: espeak-ng's length follows
175/rate all the way (1.95x and 0.44x the length at 175); Piper's rate is its length_scale
(175/rate), which stretches the phonemes but not the rest, so its length is 27% fixed and 73% in
proportion (1.69x, 0.59x).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from coach.speech.base import DEFAULT_RATE_WPM

FEATURES = ("onset", "letters", "words", "pauses", "sentences")
# Milliseconds per feature, per engine. Fitted 2026-12-01 by tools/calibrate_estimate.py on the
# built-in library's texts (see docs/benchmarks.md for the error each leaves). An engine not listed
# (a new one) gets the mean of the two.
# 654 texts. Per text: median error 4.6% (espeak) / 5.0% (Piper), 90th percentile 12.8% / 13.8%.
# Per session (every routine and exercise, every verbosity): at most +1.5% (espeak) / +1.7% (Piper).
COEFFICIENTS: dict[str, tuple[float, ...]] = {
    "espeak": (194.5, 48.0, 41.6, 370.2, 599.0),
    "piper": (181.2, 49.8, 16.0, 378.3, 720.4),
}
CALIBRATED_RATE_WPM = DEFAULT_RATE_WPM
# The share of an engine's spoken length that does not follow the rate (see above); 0 when unknown.
FIXED_SHARE = {"espeak": 0.0, "piper": 0.27}
DEFAULT_ENGINE = "espeak"   # whose coefficients an estimate asked without an engine uses


def features(text: str) -> tuple[int, ...]:
    """What the estimate counts in a text: 1, letters, words, pauses inside a sentence (commas and
    the like), sentence ends before the last."""
    letters = sum(ch.isalnum() for ch in text)
    words = len(text.split())
    pauses = sum(text.count(p) for p in ",;:—")
    sentences = sum(text.count(p) for p in ".!?") - (1 if text.rstrip()[-1:] in ".!?" else 0)
    return 1, letters, words, pauses, max(0, sentences)


def _coefficients(engine: str | None) -> tuple[float, ...]:
    if engine in COEFFICIENTS:
        return COEFFICIENTS[engine]
    if engine is None:
        return COEFFICIENTS[DEFAULT_ENGINE]
    rows = list(COEFFICIENTS.values())
    return tuple(sum(col) / len(rows) for col in zip(*rows))


def estimate_spoken_ms(text: str, rate_wpm: int | None = None, engine: str | None = None) -> int:
    """The text's length spoken by `engine` (None: espeak's figures) at `rate_wpm` words a minute
    (None: the engine's own pace, 175)."""
    ms = sum(c * f for c, f in zip(_coefficients(engine), features(text)))
    ms = max(ms, 100.0)
    if rate_wpm and rate_wpm != CALIBRATED_RATE_WPM:
        fixed = FIXED_SHARE.get(engine or "", 0.0)
        ms *= fixed + (1 - fixed) * CALIBRATED_RATE_WPM / rate_wpm
    return int(ms)


def estimator(rate_wpm: int | None = None, engine: str | None = None) -> Callable[[str], int]:
    """estimate_spoken_ms at this rate and engine, as the compiler's `spoken_ms`."""
    if not rate_wpm and not engine:
        return estimate_spoken_ms
    return partial(estimate_spoken_ms, rate_wpm=rate_wpm, engine=engine)
