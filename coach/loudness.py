"""Loudness as players measure it, and the speech leveller that sets it.

Measures: ITU-R BS.1770 integrated loudness (LUFS: K-weighting from pyloudnorm, 400 ms blocks, the
-70 LUFS absolute and -10 LU relative gates) and true peak (dBTP: the peak of the signal 4x
oversampled, as BS.1770 annex 2 asks, by scipy's polyphase resampler).

Levels per clip, not per session: play and live mix a session a stretch at a time (live has no clip
until just before it is due), so nothing can measure a whole session before it sounds. Speech is the
only loud thing in a session: silence falls under the absolute gate, and tones and the background bed
sit more than 10 LU under speech, under the relative gate. So a session whose every clip is at L LUFS
measures about L LUFS integrated (docs/sound.md gives the measured error), and play, live and export,
all mixed by coach.mix, come out at the same loudness.

numpy, pyloudnorm and scipy are imported on first use: the CLI reads the constants here for its
options, and `coach --help` and `coach list` never load them.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from coach.audio_format import SAMPLE_RATE

DEFAULT_LUFS = -16.0             # what podcast and phone players expect (Apple, AES TD1004 for speech)
MIN_LUFS, MAX_LUFS = -30.0, -16.0
# An export's true peak stays at or under this (EBU R128 / AES streaming: -1 dBTP leaves room for a
# lossy encoder's overshoot in whatever the listener's player re-encodes to).
TRUE_PEAK_DBTP = -1.0
# Each clip's ceiling: a dB under the export's for a breath tone that starts under a clip's first word
# and for MP3's own overshoot (measured: up to 0.5 dB at 64 kbps).
SPEECH_CEILING_DBTP = -2.5
MAX_GAIN_DB = 30.0               # never boost a near-silent clip into loud noise
# A session measures this much under the clips it is made of (blocks that straddle a clip's ends and
# the 400 ms pauses between cues): measured 0.45-0.57 LU over the 5 built-in routines, both engines.
SESSION_OFFSET_LU = 0.3
OVERSAMPLE = 4

if TYPE_CHECKING:
    import numpy as np

_FULL_SCALE = 32768.0
_BLOCK_S, _OVERLAP = 0.4, 0.75
_ABSOLUTE_GATE_LUFS, _RELATIVE_GATE_LU = -70.0, -10.0
_LIMITER_WINDOW_MS = 20          # the gain moves over 20 ms: longer than a pitch period, so no buzz
_MAKEUP_ROUNDS, _MAKEUP_TOLERANCE_DB = 3, 0.1
_TRUE_PEAK_CHUNK = 1 << 18       # samples oversampled at a time: memory stays flat for an hour
_TRUE_PEAK_PAD = 64              # each side of a chunk, beyond the resampler's filter reach


def integrated_lufs(pcm: np.ndarray, rate: int = SAMPLE_RATE) -> float:
    """BS.1770 integrated loudness of mono PCM (int16, or float in -1..1); -inf for silence.

    The same figure as pyloudnorm's Meter.integrated_loudness for anything at least one 400 ms block
    long (its blocks and gates, vectorised); a shorter clip counts as one block of its own length.
    """
    x = _as_float(pcm)
    if x.size == 0:
        return -math.inf
    power = _block_power(_k_weighted(x, rate), rate)
    return _gated_loudness(power)


def true_peak_dbtp(pcm: np.ndarray) -> float:
    """The peak of mono PCM oversampled 4x, in dB relative to full scale; -inf for silence."""
    peak = _true_peak(_as_float(pcm))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def level_speech(pcm: np.ndarray, target_lufs: float = DEFAULT_LUFS,
                 ceiling_dbtp: float = SPEECH_CEILING_DBTP) -> np.ndarray:
    """A speech clip levelled so that a session of such clips measures target_lufs (the clip itself
    SESSION_OFFSET_LU louder), its true peak at or under ceiling_dbtp, as int16.

    The gain is capped at +30 dB, and a silent clip is returned as it is. Peaks the gain would push
    over the ceiling are pulled down by a look-ahead limiter (the gain dips smoothly over 20 ms around
    each peak, never clipping); what that takes from the loudness is given back, under the same
    ceiling, in up to three more rounds (a peaky voice such as Piper's loses 1-2 LU to the first).
    """
    import numpy as np

    x = _as_float(pcm)
    # Measured in context: between 400 ms of silence each side, as a clip sounds in a session, so how
    # much silence an engine leaves at a clip's ends does not change its gain.
    pad = np.zeros(int(_BLOCK_S * SAMPLE_RATE))
    weighted = _k_weighted(np.concatenate((pad, x, pad)), SAMPLE_RATE)
    loudness = _gated_loudness(_block_power(weighted, SAMPLE_RATE))
    if x.size == 0 or not math.isfinite(loudness):
        return np.asarray(pcm, dtype=np.int16).copy()

    def loudness_with(gain: np.ndarray) -> float:
        # The limiter's gain moves over 20 ms, slowly next to the K-weighting filters, so weighting
        # once and applying the gain after gives the same figure (within 0.01 LU) at a fraction of the cost.
        around = np.concatenate((np.full(pad.size, gain[0]), gain, np.full(pad.size, gain[-1])))
        return _gated_loudness(_block_power(weighted * around, SAMPLE_RATE))

    ceiling = 10 ** (ceiling_dbtp / 20)
    target_lufs += SESSION_OFFSET_LU
    gain_db = min(target_lufs - loudness, MAX_GAIN_DB)
    # Oversampling is linear, so the peaks are found once and scaled with each round's gain.
    peaks = _oversampled_peaks(x)
    gain = _limiter_gain(peaks, 10 ** (gain_db / 20), ceiling)
    for _ in range(_MAKEUP_ROUNDS):
        shortfall_db = target_lufs - loudness_with(gain)
        if shortfall_db < 0:
            gain = gain * 10 ** (shortfall_db / 20)  # overshot: plain gain, which only lowers the peaks
            break
        if shortfall_db < _MAKEUP_TOLERANCE_DB or gain_db >= MAX_GAIN_DB:
            break
        # The limiter takes back part of any extra gain, so ask for twice the shortfall.
        gain_db = min(gain_db + 2 * shortfall_db, MAX_GAIN_DB)
        gain = _limiter_gain(peaks, 10 ** (gain_db / 20), ceiling)
    return np.clip(np.round(x * gain * _FULL_SCALE), -32768, 32767).astype(np.int16)


# -- the pieces ---------------------------------------------------------------------------------------

def _as_float(pcm: np.ndarray) -> np.ndarray:
    import numpy as np

    a = np.asarray(pcm)
    if a.ndim != 1:
        raise ValueError(f"mono PCM must be 1-D, got shape {a.shape}")
    if np.issubdtype(a.dtype, np.integer):
        return a.astype(np.float64) / _FULL_SCALE
    return a.astype(np.float64)


@lru_cache(maxsize=4)
def _k_filters(rate: int) -> tuple[tuple[Any, Any, float], ...]:
    """(b, a, gain) of each K-weighting stage, from pyloudnorm's meter (the same filters it measures with)."""
    import pyloudnorm

    meter = pyloudnorm.Meter(rate)  # K-weighting by default: a high shelf (head) and a high pass (RLB)
    return tuple((f.b, f.a, f.passband_gain) for f in meter._filters.values())


def _k_weighted(x: np.ndarray, rate: int) -> np.ndarray:
    from scipy.signal import lfilter

    for b, a, gain in _k_filters(rate):
        x = gain * lfilter(b, a, x)
    return x


def _block_power(weighted: np.ndarray, rate: int) -> np.ndarray:
    """Mean square of each 400 ms block, 100 ms apart, with pyloudnorm's block bounds (BS.1770 eq. 1-3)."""
    import numpy as np

    n = weighted.size
    block = _BLOCK_S * rate
    if n < block:
        return np.array([float(np.mean(weighted * weighted))])
    step = 1.0 - _OVERLAP
    count = int(np.round((n / rate - _BLOCK_S) / (_BLOCK_S * step))) + 1
    j = np.arange(count)
    lo = (_BLOCK_S * (j * step) * rate).astype(np.int64)
    hi = np.minimum((_BLOCK_S * (j * step + 1) * rate).astype(np.int64), n)
    cumulative = np.concatenate(([0.0], np.cumsum(weighted * weighted)))
    return (cumulative[hi] - cumulative[lo]) / block


def _gated_loudness(power: np.ndarray) -> float:
    import numpy as np

    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10 * np.log10(power)
    kept = power[loudness >= _ABSOLUTE_GATE_LUFS]
    if kept.size == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(float(np.mean(kept))) + _RELATIVE_GATE_LU
    kept = power[(loudness > relative) & (loudness > _ABSOLUTE_GATE_LUFS)]
    return -0.691 + 10 * math.log10(float(np.mean(kept))) if kept.size else -math.inf


def _oversampled_peaks(x: np.ndarray) -> np.ndarray:
    """For each sample, the largest magnitude among it and its 4x-oversampled neighbours."""
    import numpy as np

    from scipy.signal import resample_poly

    up = np.abs(resample_poly(x, OVERSAMPLE, 1))[: x.size * OVERSAMPLE].reshape(-1, OVERSAMPLE)
    peaks = np.abs(x)
    for phase in range(OVERSAMPLE):   # column by column: far faster than max(axis=1) over 4 values
        np.maximum(peaks, up[:, phase], out=peaks)
    return peaks


def _true_peak(x: np.ndarray) -> float:
    peak = 0.0
    for start in range(0, x.size, _TRUE_PEAK_CHUNK):
        lo = max(0, start - _TRUE_PEAK_PAD)
        hi = min(x.size, start + _TRUE_PEAK_CHUNK + _TRUE_PEAK_PAD)
        peaks = _oversampled_peaks(x[lo:hi])
        inner = peaks[start - lo: start - lo + min(_TRUE_PEAK_CHUNK, x.size - start)]
        peak = max(peak, float(inner.max()))
    return peak


def _limiter_gain(peaks: np.ndarray, gain: float, ceiling: float) -> np.ndarray:
    """Per sample: gain, and less wherever the true peak (peaks times gain) would pass the ceiling.

    The cut is a forward running minimum of what each sample needs, then a trailing running mean of
    the same length: every mean covers a window that saw the sample, so the gain at each sample is at
    most what that sample needs, and it moves smoothly.
    """
    import numpy as np

    from scipy.ndimage import minimum_filter1d

    need = np.minimum(1.0, ceiling / np.maximum(peaks * gain, 1e-12))
    if need.min() >= 1.0:
        return np.full(peaks.size, gain)
    w = max(1, SAMPLE_RATE * _LIMITER_WINDOW_MS // 1000)
    padded = np.concatenate((np.ones(w - 1), need, np.ones(w - 1)))
    # minimum_filter1d centres its window; origin shifts it to [i, i + w - 1].
    forward_min = minimum_filter1d(padded, size=w, mode="nearest", origin=-(w // 2))
    cumulative = np.concatenate(([0.0], np.cumsum(forward_min)))
    return gain * (cumulative[w: w + peaks.size] - cumulative[: peaks.size]) / w
