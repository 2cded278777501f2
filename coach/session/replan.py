"""A session planned before its clips exist, planned again as they arrive.

A cold `play` (and every `live`) plans a text not synthesized yet with a generous slot. Each clip that
arrives makes its real length known; the routine is then compiled again on the lengths known now and
the player takes the new plan over from its first step that has not started (Player.replan). So a
clip made before its cue plays with its own length, with no slot's spare time left as dead air. The
introduction keeps the minutes it said: the session's best-guess length (measured where cached,
the calibrated estimate elsewhere), which the re-planned session comes to.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from coach import model as m
from coach.timeline.compiler import compile_timeline

if TYPE_CHECKING:
    from coach.player import Player
    from coach.session.clips import SessionClips

# While clips pour in (espeak makes dozens a second) compile at most this often; the last one of a
# burst always re-plans.
MIN_INTERVAL_S = 0.25


class Replanner:
    def __init__(self, routine: m.Routine, options: m.CompileOptions, clips: SessionClips, minutes: int,
                 lengths_from: str):
        self._routine, self._options, self._clips = routine, options, clips
        self._minutes, self._lengths_from = minutes, lengths_from
        self._player: Player | None = None
        self._lock = threading.Lock()
        self._last = 0.0
        self.replans = 0   # re-plans the player took (tests, the bench)

    def attach(self, player: Player) -> None:
        """Re-plan this player's session from now on (and at once, for the clips made meanwhile)."""
        self._player = player
        self._replan()

    def detach(self) -> None:
        self._player = None

    def clip_ready(self, _text: str) -> None:
        """A clip's real length is known (called on the thread that made it)."""
        now = time.monotonic()
        if now - self._last < MIN_INTERVAL_S and self._clips.pending():
            return
        self._replan()

    def _replan(self) -> None:
        player = self._player
        if player is None:
            return
        with self._lock:   # one compile at a time; the player keeps the latest
            self._last = time.monotonic()
            timeline = compile_timeline(self._routine, self._clips.known_ms, self._options, self._lengths_from,
                                        minutes=self._minutes)
            if player.replan(timeline):
                self.replans += 1
