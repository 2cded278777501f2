"""A background sound under the voice: a built-in generated bed or any audio file, looped for the
whole session and ducked under every spoken cue.

Levels (docs/background.md): the bed sits at `level_db` dBFS RMS between cues (default -30, well under
speech, levelled to -16 LUFS: about -15 dBFS RMS) and goes DUCK_DB lower under speech. The gain ramps
down over ATTACK_MS so it is fully down when a cue starts, and back up over RELEASE_MS after it ends;
the ramps are linear in dB, so the change sounds even. Speech is mixed on top unchanged.

Built-in beds are synthesized (no files to ship) by shaping white noise in the frequency domain, which
makes each loop exactly periodic: it repeats with no seam to hear.
"""

from __future__ import annotations

from typing import Any

DEFAULT_LEVEL_DB = -30.0
MIN_LEVEL_DB, MAX_LEVEL_DB = -60.0, -20.0   # never louder than about 5 dB under speech (about -15 dBFS RMS)
DUCK_DB = 12.0
ATTACK_MS = 250
RELEASE_MS = 600
FADE_IN_MS = 1_000
FADE_OUT_MS = 2_000

# Built-in bed name -> what it sounds like. The CLI's help lists these.
BUILTIN_BEDS: dict[str, str] = {
    "brown-noise": "deep, soft rumble (noise falling 6 dB per octave)",
    "pink-noise": "even, gentle hiss (noise falling 3 dB per octave)",
    "rain": "steady rain: soft hiss with scattered drops",
    "ocean": "slow waves washing in and out, about every 8 seconds",
}

__all__ = ["BUILTIN_BEDS", "Background", "bed_pcm", "duck_weight", "load_background"]


def __getattr__(name: str) -> Any:
    # The sound itself needs numpy: loaded on first use, so the CLI can read the table above cheaply.
    if name in ("Background", "bed_pcm", "duck_weight", "load_background"):
        from coach.background import bed

        return getattr(bed, name)
    raise AttributeError(f"module 'coach.background' has no attribute {name!r}")
