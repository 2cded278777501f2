"""Spoken length of a text before any audio exists: a deterministic estimate from its letters.

Calibrated against espeak-ng at 175 words a minute; rendered audio replaces it once clips exist
(the compiler takes either through the same `spoken_ms` function).
"""

from __future__ import annotations

from coach.speech.base import DEFAULT_RATE_WPM

BASE_MS = 150          # voice onset and release
PER_LETTER_MS = 62
PER_BREAK_MS = 180     # commas, full stops and the like inside the text


CALIBRATED_RATE_WPM = DEFAULT_RATE_WPM


def estimate_spoken_ms(text: str, rate_wpm: int = DEFAULT_RATE_WPM) -> int:
    letters = sum(ch.isalnum() for ch in text)
    breaks = sum(text.count(p) for p in ",;:.!?—") - (1 if text.rstrip()[-1:] in ".!?" else 0)
    ms = BASE_MS + letters * PER_LETTER_MS + max(0, breaks) * PER_BREAK_MS
    return int(ms * CALIBRATED_RATE_WPM / rate_wpm)
