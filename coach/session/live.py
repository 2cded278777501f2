"""Live synthesis: each cue is spoken into a slot planned from the text before any audio exists.

Live sessions synthesize each cue during the session, so they plan each cue's slot from the engine's
estimate, stretched, until the clip exists (then the session is re-planned on its real length:
coach.session.replan). Measured 2026-12-01 over all 654 texts of the built-in library at every
verbosity, with the estimate calibrated per engine: real length reached 1.31x the estimate (espeak) and
1.54x (Piper), worst on short texts ("Arms relax."); 1.3x + 300 ms covers every one for both engines
(with 290 ms and 139 ms to spare).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from coach.speech.base import DEFAULT_RATE_WPM, MAX_RATE_WPM
from coach.timeline.estimate import estimate_spoken_ms

if TYPE_CHECKING:
    import numpy as np

    from coach.speech import Voice

LIVE_SLOT_FACTOR = 1.3
LIVE_SLOT_EXTRA_MS = 300


def live_slot_ms(rate_wpm: int | None, engine: str | None = None) -> Callable[[str], int]:
    """The planned slot for a text spoken by this engine at this rate: the estimate, stretched."""
    rate = rate_wpm or DEFAULT_RATE_WPM

    def slot_ms(text: str) -> int:
        return int(estimate_spoken_ms(text, rate, engine) * LIVE_SLOT_FACTOR) + LIVE_SLOT_EXTRA_MS

    return slot_ms


def fit_to_slot(voice: Voice, text: str, clip: np.ndarray, slot_ms: int) -> np.ndarray:
    """A clip that never overruns the slot the timeline planned for it: one that comes out too long is
    spoken again, faster; and if even the fastest rate is too long, it is played a little faster
    (resampled). Never cut: a cut-off word is worse than a quicker one."""
    import numpy as np

    from coach.audio_format import ms_to_samples
    from coach.speech import voice_from_spec
    from coach.speech.base import VoiceSpec

    slot = ms_to_samples(slot_ms)
    if len(clip) <= slot:
        return clip
    rate = voice.spec.rate or DEFAULT_RATE_WPM
    faster = min(MAX_RATE_WPM, int(rate * len(clip) / slot * 1.05) + 1)
    if faster > rate:
        clip = voice_from_spec(VoiceSpec(voice.spec.engine, voice.spec.voice, faster)).render(text)
    if len(clip) > slot:
        positions = np.linspace(0, len(clip) - 1, slot)
        clip = np.interp(positions, np.arange(len(clip)), clip.astype(np.float64)).astype(np.int16)
    return clip
