"""What `coach listen` shows of the microphone: a level meter, and whether it hears anything at all.

A capture device can open and deliver nothing but zeros (a muted input, a wrong card, a cable in the
wrong socket): listening to it would look just like a quiet room. Digital silence is told apart from a
quiet room by the samples themselves: a real microphone's noise floor is never exactly zero.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from coach.listen.endpoint import level_db
from coach.listen.microphone import FRAME_S

if TYPE_CHECKING:
    from coach.listen.listener import FrameSource

SILENT_PEAK = 2            # |sample| at or under this is digital silence, not a quiet room
SILENCE_WARNING_S = 3.0    # this long with nothing from the microphone: say so
FLOOR_DB = -90.0
BAR_DB = (-60.0, 0.0)      # the meter's range, dBFS
PEAK_HOLD_S = 0.5


class LevelMeter:
    """Fed every frame the microphone gives; read from another thread. Safe across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._level_db = FLOOR_DB
        self._peak_db = FLOOR_DB
        self._peak_age_s = 0.0
        self._silent_s = 0.0
        self.heard_sound = False    # any frame that was not digital silence

    def push(self, frame: bytes) -> None:
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
        silent = samples.size == 0 or float(np.max(np.abs(samples))) <= SILENT_PEAK
        level = max(FLOOR_DB, level_db(frame))
        with self._lock:
            self._level_db = level
            self._peak_age_s += FRAME_S
            if level >= self._peak_db or self._peak_age_s > PEAK_HOLD_S:
                self._peak_db, self._peak_age_s = level, 0.0
            self._silent_s = self._silent_s + FRAME_S if silent else 0.0
            self.heard_sound = self.heard_sound or not silent

    @property
    def silent_s(self) -> float:
        """How long the microphone has given nothing but digital silence, up to now."""
        with self._lock:
            return self._silent_s

    def bar(self, width: int = 30) -> str:
        """`[#########.........]  -42 dBFS`: the level now, the recent peak held as `|`."""
        with self._lock:
            level, peak = self._level_db, self._peak_db
        low, high = BAR_DB

        def cells(db: float) -> int:
            return round(width * (min(high, max(low, db)) - low) / (high - low))

        filled, peak_at = cells(level), cells(peak)
        row = ["#" if i < filled else "." for i in range(width)]
        if filled <= peak_at - 1 < width:
            row[peak_at - 1] = "|"
        shown = f"{level:4.0f} dBFS" if level > FLOOR_DB else "  silent "
        return f"[{''.join(row)}] {shown}"


class MeteredSource:
    """A frame source (the microphone) that shows every frame to a meter on its way to the listener."""

    def __init__(self, source: FrameSource, meter: LevelMeter):
        self._source = source
        self.meter = meter
        self.started = source.started   # an opened source: when its first sample came

    def read(self) -> bytes:
        frame = self._source.read()
        self.meter.push(frame)
        return frame

    def close(self) -> None:
        self._source.close()
