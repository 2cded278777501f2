"""Spoken length of a text before any audio exists: a deterministic estimate from its letters.

Calibrated against espeak-ng at 175 words a minute; rendered audio replaces it once clips exist
(the compiler takes either through the same `spoken_ms` function). Measured on six coaching
sentences at 90, 175 and 400 words a minute: espeak-ng's length follows 175/rate all the way
(1.95x and 0.44x the length at 175); Piper's rate is its length_scale (175/rate), which stretches
the phonemes but not the rest, so its length is 27% fixed and 73% in proportion (1.69x, 0.59x).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from coach.speech.base import DEFAULT_RATE_WPM

BASE_MS = 150          # voice onset and release
PER_LETTER_MS = 62
PER_BREAK_MS = 180     # commas, full stops and the like inside the text


CALIBRATED_RATE_WPM = DEFAULT_RATE_WPM
# The share of an engine's spoken length that does not follow the rate (see above); 0 when unknown.
FIXED_SHARE = {"espeak": 0.0, "piper": 0.27}


def estimate_spoken_ms(text: str, rate_wpm: int | None = None, engine: str | None = None) -> int:
    """The text's length at `rate_wpm` words a minute (None: the engine's own pace, 175)."""
    letters = sum(ch.isalnum() for ch in text)
    breaks = sum(text.count(p) for p in ",;:.!?—") - (1 if text.rstrip()[-1:] in ".!?" else 0)
    ms = BASE_MS + letters * PER_LETTER_MS + max(0, breaks) * PER_BREAK_MS
    if not rate_wpm or rate_wpm == CALIBRATED_RATE_WPM:
        return ms
    fixed = FIXED_SHARE.get(engine or "", 0.0)
    return int(ms * (fixed + (1 - fixed) * CALIBRATED_RATE_WPM / rate_wpm))


def estimator(rate_wpm: int | None = None, engine: str | None = None) -> Callable[[str], int]:
    """estimate_spoken_ms at this rate and engine, as the compiler's `spoken_ms`."""
    if not rate_wpm:
        return estimate_spoken_ms
    return partial(estimate_spoken_ms, rate_wpm=rate_wpm, engine=engine)
