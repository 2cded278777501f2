"""Is there a voice in it: speech has a pitch, noise does not.

A 30 ms frame is voiced when its normalised autocorrelation peaks at PERIODICITY_MIN or more at a lag
inside a human voice's pitch range, after first falling below zero (a rumble or a hum, mostly low
frequencies, stays correlated over short lags without repeating: that is not a pitch). Every command
holds a vowel, so an utterance with fewer than VOICED_FRAMES_MIN voiced frames is not a command,
whatever the recognizer made of it. This is what
keeps noise that swells and falls, such as the `ocean` background heard through the microphone, from
being taken for "stop": the voice-activity detector and the recognizer both accepted its waves.
"""

from __future__ import annotations

import numpy as np

from coach.listen.microphone import RATE

PITCH_HZ = (70.0, 400.0)
PERIODICITY_MIN = 0.5
VOICED_FRAMES_MIN = 2        # 60 ms of voice: the shortest command's vowel ("stop", "next") has more

_LOWEST_LAG = int(RATE / PITCH_HZ[1])
_LAGS = np.arange(1, int(RATE / PITCH_HZ[0]) + 1)


def periodicity(frame: bytes) -> float:
    """The highest normalised autocorrelation of the frame over pitch lags (0: none, 1: a pure tone)."""
    x = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    n = len(x)
    if n <= _LAGS[-1] + 1:
        return 0.0
    x = x - x.mean()
    spectrum = np.fft.rfft(x, 2 * n)
    r = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    energy = np.cumsum(x * x)
    head = energy[n - _LAGS - 1]                       # sum of x[0 : n-L]^2
    tail = energy[-1] - energy[_LAGS - 1]              # sum of x[L : n]^2
    denominator = np.sqrt(head * tail)
    with np.errstate(divide="ignore", invalid="ignore"):
        normalised = np.where(denominator > 0, r[_LAGS] / denominator, 0.0)
    below = np.flatnonzero(normalised < 0)
    if below.size == 0:
        return 0.0
    first = max(int(below[0]), _LOWEST_LAG - 1)        # lags start at 1: index i is lag i + 1
    return float(normalised[first:].max())


def is_voiced(frame: bytes) -> bool:
    return periodicity(frame) >= PERIODICITY_MIN
