"""Soft synthesized cue tones (bell, tick, breath pacing, hold sounds), as int16 mono PCM at SAMPLE_RATE.

Every tone is quiet next to speech (tone peaks sit at -20 dBFS or lower, see _PEAK_DBFS) and starts
and ends at zero through a fade, so it never clicks.
Lengths are fixed constants because the compiler times cues with them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from coach.audio_format import SAMPLE_RATE, ms_to_samples

# The timeline model owns the lengths (the compiler must stay free of audio code); the shapes live here.
from coach.timeline.model import TONE_MS

# Peaks well under speech (levelled to -16 LUFS, peaks near -2 dBTP, see coach.loudness): every tone
# measures more than 10 LU under speech, under BS.1770's relative gate, so tones never change a
# session's measured loudness. The hold sounds (in-breath, out-breath, and the tick) are the softest:
# they fill silence, they are not cues.
_PEAK_DBFS = {"bell": -20.0, "tick": -26.0, "inhale": -24.0, "exhale": -24.0,
              "in-breath": -30.0, "out-breath": -30.0}
_FULL_SCALE = 32767


def tone_ms(name: str) -> int:
    """Length of a tone in ms (exactly: tone_pcm(name) has ms_to_samples(tone_ms(name)) samples)."""
    try:
        return TONE_MS[name]
    except KeyError:
        raise ValueError(f"unknown tone {name!r}; known: {', '.join(sorted(TONE_MS))}") from None


def tone_pcm(name: str) -> np.ndarray:
    """The tone as a read-only int16 array (shared between calls: copy it before changing it)."""
    tone_ms(name)  # validates the name
    return _render(name)


@lru_cache(maxsize=None)
def _render(name: str) -> np.ndarray:
    n = ms_to_samples(TONE_MS[name])
    t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
    if name == "bell":
        wave = _bell(t)
    elif name == "tick":
        wave = _tick(t)
    elif name == "inhale":
        wave = _glide(t, 330.0, 440.0)
    elif name == "exhale":
        wave = _glide(t, 440.0, 330.0)
    elif name == "in-breath":
        wave = _glide(t, 294.0, 392.0, warmth=0.3)   # D4 up to G4 over the tone
    else:
        wave = _glide(t, 392.0, 294.0, warmth=0.3)
    wave *= _edge_fades(n, fade_in_ms=4 if name != "tick" else 2, fade_out_ms=30 if name == "bell" else 8)
    peak = float(np.max(np.abs(wave))) or 1.0
    scaled = wave / peak * (10 ** (_PEAK_DBFS[name] / 20) * _FULL_SCALE)
    pcm = np.round(scaled).astype(np.int16)
    pcm.flags.writeable = False
    return pcm


def _bell(t: np.ndarray) -> np.ndarray:
    # A few inharmonic partials with their own decays: reads as a soft bell, not a beep.
    fundamental_hz = 660.0
    partials = ((1.0, 1.0, 2.2), (2.0, 0.45, 3.5), (2.76, 0.25, 5.0), (5.4, 0.08, 8.0))
    wave = np.zeros_like(t)
    for ratio, gain, decay_per_s in partials:
        wave += gain * np.exp(-decay_per_s * t) * np.sin(2 * np.pi * fundamental_hz * ratio * t)
    return wave


def _tick(t: np.ndarray) -> np.ndarray:
    # A short, fast-decaying wood-block-like ping rather than a broadband click.
    return np.exp(-t / 0.012) * np.sin(2 * np.pi * 1800.0 * t)


def _glide(t: np.ndarray, from_hz: float, to_hz: float, warmth: float = 0.0) -> np.ndarray:
    duration_s = t[-1] if len(t) else 1.0
    freq_hz = from_hz + (to_hz - from_hz) * t / duration_s
    phase = 2 * np.pi * np.cumsum(freq_hz) / SAMPLE_RATE
    # Raised-cosine body: swells and fades like a breath.
    body = np.sin(np.pi * t / duration_s) ** 2
    # A little second harmonic keeps a low tone audible on a phone's small speaker.
    return body * (np.sin(phase) + warmth * np.sin(2 * phase))


def _edge_fades(n: int, fade_in_ms: int, fade_out_ms: int) -> np.ndarray:
    env = np.ones(n)
    fade_in = min(ms_to_samples(fade_in_ms), n)
    fade_out = min(ms_to_samples(fade_out_ms), n)
    if fade_in:
        env[:fade_in] *= np.linspace(0.0, 1.0, fade_in)
    if fade_out:
        env[n - fade_out:] *= np.linspace(1.0, 0.0, fade_out)
    return env
