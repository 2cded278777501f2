"""Mixing ahead of the deadlines on a worker thread (for `live`, that is where each cue is synthesised)."""

from __future__ import annotations

import threading

import numpy as np

from coach.mix import ClipProvider, mix_range
from coach.player.segments import Segment, index_at
from coach.timeline.model import Timeline

KEEP_BEHIND_MS = 60_000      # mixed segments kept this long after they played, for `p` (repeat step)
_POLL_S = 0.005              # how often a wait for PCM looks for commands
_JOIN_TIMEOUT_S = 5.0



class _Cancelled(Exception):
    pass


class RenderAhead:
    """A worker thread that mixes segments in order, from the one in focus up to window_ms ahead, and
    whatever the player asks for first. Errors reach the player when it asks for that segment."""

    def __init__(self, timeline: Timeline, segments: tuple[Segment, ...], clip_for: ClipProvider,
                 window_ms: int, keep_behind_ms: int = KEEP_BEHIND_MS):
        self._timeline = timeline
        self._segments = segments
        self._clip_for = clip_for
        self._window_ms = window_ms
        self._keep_behind_ms = keep_behind_ms
        self._cond = threading.Condition()
        self._pcm: dict[int, np.ndarray] = {}
        self._errors: dict[int, Exception] = {}
        self._focus_ms = 0.0
        self._urgent: int | None = None
        self._closed = False
        self._generation = 0                    # how many times the plan changed (retarget)
        self._kept_below: dict[int, int] = {}   # generation -> the segments that plan kept as they were
        self._thread = threading.Thread(target=self._work, name="coach-render-ahead", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(_JOIN_TIMEOUT_S)

    def focus(self, position_ms: float) -> None:
        with self._cond:
            if position_ms == self._focus_ms:
                return
            self._focus_ms = position_ms
            for i in [i for i in self._pcm if self._segments[i].end_ms < position_ms - self._keep_behind_ms]:
                del self._pcm[i]
            self._cond.notify_all()

    def retarget(self, timeline: Timeline, segments: tuple[Segment, ...], keep_below: int) -> None:
        """A re-planned session: segments before `keep_below` are the same as before (their PCM is
        kept); the rest are mixed anew from `timeline`, and what was mixed of them is thrown away."""
        with self._cond:
            self._timeline, self._segments = timeline, segments
            for i in [i for i in (*self._pcm, *self._errors) if i >= keep_below]:
                self._pcm.pop(i, None)
                self._errors.pop(i, None)
            if self._urgent is not None and self._urgent >= keep_below:
                self._urgent = None
            self._generation += 1
            self._kept_below[self._generation] = keep_below
            self._cond.notify_all()

    def ready(self, index: int) -> np.ndarray | None:
        """The segment's PCM if it is mixed already (raising its error if it failed); never waits."""
        with self._cond:
            if index in self._errors:
                raise self._errors.pop(index)
            return self._pcm.get(index)

    def get(self, index: int, wake: threading.Event) -> np.ndarray | None:
        """The segment's PCM, waiting for it if need be; None if wake is set first."""
        with self._cond:
            while index not in self._pcm:
                if index in self._errors:
                    raise self._errors.pop(index)
                if wake.is_set():
                    return None
                if self._urgent != index:
                    self._urgent = index
                    self._cond.notify_all()
                self._cond.wait(_POLL_S)
            return self._pcm[index]

    def _next_job(self) -> int | None:
        def wanted(i: int) -> bool:
            return i not in self._pcm and i not in self._errors

        if self._urgent is not None and wanted(self._urgent):
            return self._urgent
        i = max(0, index_at(self._segments, self._focus_ms))
        while i < len(self._segments) and self._segments[i].start_ms <= self._focus_ms + self._window_ms:
            if self._segments[i].end_ms > self._focus_ms and wanted(i):
                return i
            i += 1
        return None

    def _work(self) -> None:
        while True:
            with self._cond:
                job = self._next_job()
                while not self._closed and job is None:
                    self._cond.wait()
                    job = self._next_job()
                if self._closed or job is None:
                    return
                segment, timeline, generation = self._segments[job], self._timeline, self._generation
            try:
                pcm: np.ndarray | None = mix_range(timeline, self._checked_clip, segment.start_ms,
                                                   segment.end_ms)
                error: Exception | None = None
            except _Cancelled:
                return
            except Exception as exc:  # handed to the player, which raises it on the main thread
                pcm, error = None, exc
            with self._cond:
                later = [below for g, below in self._kept_below.items() if g > generation]
                if later and job >= min(later):
                    continue   # mixed from a plan that changed meanwhile: mixed again from the new one
                if pcm is not None:
                    self._pcm[job] = pcm
                elif error is not None:
                    self._errors[job] = error
                if self._urgent == job:
                    self._urgent = None
                self._cond.notify_all()

    def _checked_clip(self, text: str) -> np.ndarray:
        if self._closed:  # a session that is over does not wait for more synthesis
            raise _Cancelled
        return self._clip_for(text)
