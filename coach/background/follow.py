"""The bed under a session that plays in real time (`coach play|live --background`).

Export knows every sample's place in the session; a live session does not, as it pauses, skips and
waits. So the bed asks the player where the session is, once per period, and takes its gain from
there (the same `bed_gain` as export: level, ducking under each spoken cue, fades at the ends). The
bed's own sound comes from a counter of its own, so a skip changes how loud it is, never what it
plays. A jump in the gain (skip, pause, resume, the stop) is ramped over SLEW_MS instead of cut.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from coach.audio_format import ms_to_samples
from coach.background.bed import Background, bed_gain, level_gain
from coach.timeline.model import Timeline

SLEW_MS = 20        # the quickest the bed goes from its full level to silence, or back


class SessionBed:
    """position_ms() is where the session is now (None: paused or not running, the bed is silent), and
    timeline() what the session plays now: a cold session is re-planned as its clips arrive, and the
    bed ducks under the speech where it now falls."""

    def __init__(self, background: Background, timeline: Callable[[], Timeline],
                 position_ms: Callable[[], float | None]):
        self._background = background
        self._timeline = timeline
        self._position_ms = position_ms
        self._played = 0            # samples of the loop played so far
        self._gain = 0.0            # the gain the last period ended on
        # Most the gain may change per sample: full level to silence in SLEW_MS.
        self._max_step = float(level_gain(background.level_db)) / max(1, ms_to_samples(SLEW_MS))

    def next(self, count: int) -> np.ndarray:
        position_ms = self._position_ms()
        if position_ms is None:
            target = np.zeros(count)
        else:
            timeline = self._timeline()
            start = min(max(ms_to_samples(int(position_ms)), 0), ms_to_samples(timeline.duration_ms))
            target = bed_gain(self._background, timeline, start, count)
        gain = slewed(self._gain, target, self._max_step)
        self._gain = float(gain[-1]) if count else self._gain
        samples = self._background.samples(self._played, count)
        self._played += count
        return samples * gain


def slewed(start: float, target: np.ndarray, max_step: float) -> np.ndarray:
    """target, but reached from start by a straight ramp when the jump to target[0] is bigger than
    max_step per sample allows (a smooth target passes unchanged)."""
    if target.size == 0:
        return target
    steps = math.ceil(abs(float(target[0]) - start) / max_step)
    if steps <= 1:
        return target
    weight = np.minimum(np.arange(1, target.size + 1) / steps, 1.0)
    return start + (target - start) * weight
