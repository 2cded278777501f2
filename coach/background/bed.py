"""The background bed's sound: synthesis, decoding, looping, ducking (numpy; see coach.background)."""

from __future__ import annotations

import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.audio_format import SAMPLE_RATE
from coach.background import (
    ATTACK_MS, BUILTIN_BEDS, DEFAULT_LEVEL_DB, DUCK_DB, FADE_IN_MS, FADE_OUT_MS, MAX_LEVEL_DB, MIN_LEVEL_DB,
    RELEASE_MS,
)
from coach.errors import UsageError
from coach.timeline.model import Timeline

LOOP_S = 24                  # length of a generated bed's loop
MAX_FILE_S = 30 * 60         # a longer file is cut there (it loops anyway)
SEAM_MS = 300                # a file's end crossfades into its start over this, so the loop has no click
_FULL_SCALE = 32768.0


@dataclass(frozen=True)
class Background:
    name: str
    loop: np.ndarray          # float32, mono at SAMPLE_RATE, RMS 1.0
    level_db: float = DEFAULT_LEVEL_DB

    def samples(self, start: int, count: int) -> np.ndarray:
        """The looped bed from sample `start`, at unit RMS (before level and ducking)."""
        index = (np.arange(start, start + count) % len(self.loop))
        return self.loop[index]


def load_background(spec: str, level_db: float = DEFAULT_LEVEL_DB) -> Background:
    """A built-in bed by name, or any file ffmpeg can read. Raises UsageError naming the fix."""
    if not MIN_LEVEL_DB <= level_db <= MAX_LEVEL_DB:
        raise UsageError(f"--background-level {level_db:g} is outside {MIN_LEVEL_DB:g} to {MAX_LEVEL_DB:g} dB; "
                         f"pick a level in that range (default {DEFAULT_LEVEL_DB:g})")
    if spec in BUILTIN_BEDS:
        return Background(spec, _unit_rms(_synthesize(spec)), level_db)
    path = Path(spec)
    if not path.is_file():
        raise UsageError(f"no background called '{spec}': give an audio file or one of {', '.join(BUILTIN_BEDS)}")
    return Background(path.name, _unit_rms(_seamless(_decode(path))), level_db)


def background_for(spec: str | None, level_db: float | None = None) -> Background | None:
    """The background a command asked for (None: none), at level_db or the default level."""
    if spec is None:
        return None
    return load_background(spec, DEFAULT_LEVEL_DB if level_db is None else level_db)


def bed_pcm(background: Background, timeline: Timeline, start: int, count: int) -> np.ndarray:
    """The bed for samples [start, start + count) of the session, level and ducking applied, as float
    samples in int16 units (to be added to speech before the final clip to int16)."""
    return background.samples(start, count) * bed_gain(background, timeline, start, count)


def bed_gain(background: Background, timeline: Timeline, start: int, count: int) -> np.ndarray:
    """The bed's gain (in int16 units, for unit-RMS samples) for samples [start, start + count) of the
    session: its level, ducked under speech, faded in and out at the session's ends."""
    gain_db = background.level_db - DUCK_DB * duck_weight(timeline, start, count)
    return level_gain(gain_db) * _fades(timeline, start, count)


def level_gain(level_db: float | np.ndarray) -> np.ndarray:
    """The gain that puts a unit-RMS bed at level_db dBFS, in int16 units."""
    return _FULL_SCALE * np.power(10.0, np.asarray(level_db) / 20.0)


def _fades(timeline: Timeline, start: int, count: int) -> np.ndarray:
    """The bed fades in at the start of the session and out at its end, instead of starting or
    stopping dead."""
    t = np.arange(start, start + count, dtype=np.float64) * (1000.0 / SAMPLE_RATE)
    fade_in = np.clip(t / FADE_IN_MS, 0.0, 1.0)
    fade_out = np.clip((timeline.duration_ms - t) / FADE_OUT_MS, 0.0, 1.0)
    return np.minimum(fade_in, fade_out)


def duck_weight(timeline: Timeline, start: int, count: int) -> np.ndarray:
    """0 where the bed plays at its level, 1 where it is fully ducked, ramps between: for each spoken
    cue, up over ATTACK_MS before it, 1 while it sounds, down over RELEASE_MS after it."""
    t = np.arange(start, start + count, dtype=np.float64) * (1000.0 / SAMPLE_RATE)   # ms
    weight = np.zeros(count)
    if count == 0:
        return weight
    first_ms, last_ms = t[0], t[-1]
    for cue in timeline.cues:
        if not (cue.is_speech and cue.text):
            continue
        if cue.end_ms + RELEASE_MS < first_ms or cue.start_ms - ATTACK_MS > last_ms:
            continue
        rise = np.clip((t - (cue.start_ms - ATTACK_MS)) / ATTACK_MS, 0.0, 1.0)
        fall = np.clip(((cue.end_ms + RELEASE_MS) - t) / RELEASE_MS, 0.0, 1.0)
        np.maximum(weight, np.minimum(rise, fall), out=weight)
    return weight


def _unit_rms(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float64)
    samples = samples - samples.mean()
    rms = float(np.sqrt(np.mean(samples * samples))) if samples.size else 0.0
    if rms == 0.0:
        raise UsageError("the background sound is silent; choose another file or a built-in bed")
    return (samples / rms).astype(np.float32)


def _shaped_noise(rng: np.random.Generator, n: int, slope_db_per_octave: float,
                  low_hz: float = 20.0, high_hz: float = 9_000.0) -> np.ndarray:
    """Noise of length n whose spectrum falls by slope dB per octave between low and high: periodic in n."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / SAMPLE_RATE)
    shape = np.zeros_like(freqs)
    band = (freqs >= low_hz) & (freqs <= high_hz)
    shape[band] = np.power(freqs[band] / low_hz, -slope_db_per_octave / (20 * np.log10(2)))
    return np.fft.irfft(spectrum * shape, n)


def _synthesize(name: str) -> np.ndarray:
    """A loop of LOOP_S seconds, the same every time (a fixed seed per bed)."""
    n = LOOP_S * SAMPLE_RATE
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    t = np.arange(n) / SAMPLE_RATE
    if name == "brown-noise":
        return _shaped_noise(rng, n, 6.0)
    if name == "pink-noise":
        return _shaped_noise(rng, n, 3.0)
    if name == "ocean":
        # Three waves per 24 s loop, so the swell repeats exactly with the loop.
        swell = 0.35 + 0.65 * np.power(np.sin(np.pi * t * 3 / LOOP_S), 2)
        return _shaped_noise(rng, n, 4.5, 30.0, 4_000.0) * swell
    # rain: a soft wash plus drops, each a short decaying burst of bright noise, placed around the loop.
    wash = _shaped_noise(rng, n, 1.5, 300.0, 9_000.0)
    drops = np.zeros(n)
    drop_len = SAMPLE_RATE // 40
    envelope = np.exp(-np.arange(drop_len) / (drop_len / 6))
    for start in rng.integers(0, n, size=LOOP_S * 12):
        burst = rng.standard_normal(drop_len) * envelope * rng.uniform(1.0, 4.0)
        index = (start + np.arange(drop_len)) % n
        drops[index] += burst
    return wash / np.sqrt(np.mean(wash * wash)) + 0.5 * drops / max(1e-9, float(np.sqrt(np.mean(drops * drops))))


def _seamless(samples: np.ndarray) -> np.ndarray:
    """A recording made to loop without a click: its last SEAM_MS fade into its first."""
    fade = SAMPLE_RATE * SEAM_MS // 1000
    if len(samples) < 4 * fade:
        return samples
    ramp = np.linspace(0.0, 1.0, fade, endpoint=False)
    looped = samples[fade:].astype(np.float64)
    looped[-fade:] = samples[-fade:] * (1.0 - ramp) + samples[:fade] * ramp
    return looped


def _decode(path: Path) -> np.ndarray:
    """Any file ffmpeg reads, as mono float samples at SAMPLE_RATE."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-t", str(MAX_FILE_S), "-i", str(path),
           "-f", "f32le", "-ac", "1", "-ar", str(SAMPLE_RATE), "-"]
    try:
        out = subprocess.run(cmd, capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError("ffmpeg is needed to read a background file; run ./scripts/setup, or use a built-in bed") from None
    if out.returncode != 0 or not out.stdout:
        reason = out.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(f"{path}: not an audio file ffmpeg can read ({reason[-1] if reason else 'no audio'}); "
                         f"choose another file or a built-in bed: {', '.join(BUILTIN_BEDS)}")
    return np.frombuffer(out.stdout, dtype="<f4")
