"""Runs a session: waits for absolute deadlines and hands each sound segment to the output.

Every deadline is origin + a position in the timeline, on a monotonic clock; nothing is an
accumulation of sleeps. Pausing moves the origin by the time paused. The PCM of upcoming segments is
mixed on a worker thread a little ahead of time (that is where a clip not yet rendered is waited for).
A segment whose PCM is not ready at its deadline is waited for: the session holds still (the view is
told, the timing log records it) and everything after it moves by the time waited, so no cue is ever
skipped, cut or squeezed. Clock, output, view and command source are injected, so the whole
loop runs in tests without a sound card and without waiting.

A session may be re-planned while it runs (replan(), from any thread: a cold play learning its clips'
real lengths): the new plan takes over at the first step that has not started (coach.player.splice),
so nothing that has started, or is due within REPLAN_LEAD_MS, moves.
"""

from __future__ import annotations

import json
import queue
import threading
from bisect import bisect_left
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from coach.audio_format import ms_to_samples
from coach.mix import ClipProvider
from coach.player.clock import Clock, MonotonicClock
from coach.player.events import (Caption, Ended, Event, EventCallback, Paused, Progress, Resumed,
                                 SessionResult, Started, StepChanged, Waiting)
from coach.player.render_ahead import RenderAhead
from coach.player.output import Output, PlayHandle
from coach.player.segments import Segment, PlayerStep, index_at, segment_playing_at, sound_segments, speech_cue_at, steps
from coach.player.splice import splice
from coach.timeline.model import Cue, Timeline

RENDER_AHEAD_MS = 10_000     # how far ahead of its deadline a segment is mixed (and, live, synthesised)
PROGRESS_EVERY_MS = 1_000
_POLL_S = 0.005              # how often a wait for PCM looks for commands
_DRAIN_WAIT_MS = 1_000       # at the end, how long to let the last sound finish
REPLAN_LEAD_MS = 1_000       # a re-plan changes nothing due sooner than this (time to mix what is new)

COMMANDS = frozenset({"toggle-pause", "pause", "resume", "next", "repeat", "quit", "safety-stop", "interrupt"})
# Commands that end the session, and how it is recorded: Ctrl-C read as a key ends it as Ctrl-C does.
_ENDING_COMMANDS = {"quit": "quit", "safety-stop": "safety-stop", "interrupt": "interrupted"}


# -- the player ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Moment:
    at_ms: int
    order: int                   # at the same time: sound first, then step, caption, progress, end
    what: Segment | PlayerStep | Cue | None


@dataclass(frozen=True)
class _Plan:
    """A timeline and what the player derives from it (derived off the main thread for a re-plan)."""
    timeline: Timeline
    segments: tuple[Segment, ...]
    steps: tuple[PlayerStep, ...]
    moments: list[_Moment]
    cut_ms: int = 0              # a re-plan: where it takes over (the same as before up to there)
    base: Timeline | None = None  # a re-plan: the timeline it was cut from

    @classmethod
    def of(cls, timeline: Timeline, cut_ms: int = 0, base: Timeline | None = None) -> _Plan:
        segments = sound_segments(timeline)
        steps_ = steps(timeline)
        return cls(timeline, segments, steps_, _moments(timeline, segments, steps_), cut_ms, base)


@dataclass
class _Playing:
    handle: PlayHandle
    segment: Segment
    from_ms: int                 # where in the session the buffer starts
    started_ms: float            # session position when play() was called
    stopped: bool = False

    @property
    def late_ms(self) -> float:
        return self.started_ms - self.from_ms


class _SessionOver(Exception):
    def __init__(self, ended: str):
        self.ended = ended


class Player:
    """One session. run() blocks until it ends; command() may be called from any thread meanwhile."""

    def __init__(
        self,
        timeline: Timeline,
        clip_for: ClipProvider,
        output: Output,
        *,
        clock: Clock | None = None,
        on_event: EventCallback | None = None,
        timing_log: TextIO | None = None,
        render_ahead_ms: int = RENDER_AHEAD_MS,
    ):
        plan = _Plan.of(timeline)
        self.timeline = timeline
        self.segments = plan.segments
        self.steps = plan.steps
        self._clip_for = clip_for
        self._output = output
        self._clock = clock or MonotonicClock()
        self._on_event = on_event or (lambda _event: None)
        self._timing_log = timing_log
        self._render_ahead_ms = render_ahead_ms
        self._commands: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._moments = plan.moments
        self._moment_ms = [m.at_ms for m in self._moments]
        self._replan: _Plan | None = None            # the latest re-plan not yet taken over (any thread)
        self._replan_lock = threading.Lock()
        self._done_ms = 0.0                          # where the last moment that happened was due
        # Run state (main thread only).
        self._origin_ms = 0.0
        self._next = 0
        self._step = -1
        self._playing: _Playing | None = None
        self._pending_from_ms: int | None = None   # a mid-segment start still waiting for its PCM
        self._late_ms: list[float] = []
        self._waited_ms: dict[int, float] = {}     # segment index -> how long the session waited for it
        self._first_sound_ms: float | None = None
        self._run_started_ms = 0.0
        self._render: RenderAhead | None = None
        # What position_now() reads from other threads: set by the main thread only.
        self._clock_running = False                  # started, not paused, not ended
        self._held_ms: float | None = None          # the position held still while a sound is waited for

    def command(self, name: str) -> None:
        """Queue a command: toggle-pause, pause, resume, next, repeat, quit or safety-stop."""
        if name not in COMMANDS:
            raise ValueError(f"unknown command {name!r}; known: {', '.join(sorted(COMMANDS))}")
        self._commands.put(name)
        self._wake.set()

    def replan(self, timeline: Timeline) -> bool:
        """From any thread: go on with `timeline`, the whole session compiled again (new lengths), from
        its first step that starts after the next REPLAN_LEAD_MS and matches what is planned now. The
        player takes it over at its next moment. False if it cannot take over anywhere."""
        base = self.timeline
        position = self.position_now()
        after_ms = max(self._done_ms, position if position is not None else 0.0) + REPLAN_LEAD_MS
        spliced = splice(base, timeline, after_ms)
        if spliced is None:
            return False
        plan = _Plan.of(spliced[0], spliced[1], base)
        with self._replan_lock:
            self._replan = plan
        self._wake.set()
        return True

    def position_now(self) -> float | None:
        """Where the session is, for another thread (the background bed): None before it starts,
        while paused and once it has ended; held still while the session waits for a sound."""
        held = self._held_ms
        if held is not None:
            return held
        return self._position_ms() if self._clock_running else None

    def run(self) -> SessionResult:
        self._run_started_ms = self._clock.now_ms()
        self._render = RenderAhead(self.timeline, self.segments, self._clip_for, self._render_ahead_ms)
        self._render.start()
        try:
            try:
                self._start()
                self._loop()
                ended = "completed"
            except _SessionOver as over:
                ended = over.ended
            except KeyboardInterrupt:
                self._stop_sound()  # first, before anything slower: the sound must stop now
                ended = "interrupted"
            result = self._result(ended)
            self._emit(Ended(result))
            return result
        finally:
            self._clock_running = False
            self._stop_sound()
            self._render.close()

    # -- the loop --------------------------------------------------------------------------------------

    def _start(self) -> None:
        """The clock starts once the first sound is mixed: only that one (the opening bell needs no
        voice, so the first sound never waits for a voice model). Any later sound that is not ready
        at its deadline is waited for (see _pcm_waiting)."""
        self._emit(Started(self.timeline.title, self.timeline.duration_ms, self.steps))
        if self.segments:
            assert self._render is not None
            while self._render.get(self.segments[0].index, self._wake) is None:
                for name in self._drain_commands():
                    if name in ("quit", "safety-stop"):
                        raise _SessionOver(name)
        self._origin_ms = self._clock.now_ms()
        self._clock_running = True

    def _loop(self) -> None:
        while True:
            self._take_replan()
            if self._pending_from_ms is not None and not self._resume_pending_play():
                self._handle_commands()
                continue
            moment = self._moments[self._next]
            if not self._clock.sleep_until(self._deadline(moment), self._wake):
                self._handle_commands()
                continue
            if not self._happen(moment):
                self._handle_commands()
                continue
            if moment.order == _END:
                return
            self._done_ms = moment.at_ms
            self._next += 1

    def _take_replan(self) -> None:
        """Go on with the latest re-plan, if one is waiting and still takes over after everything that
        has happened and after what is due within REPLAN_LEAD_MS / 2 (else it is dropped: a later
        one will come)."""
        with self._replan_lock:
            plan, self._replan = self._replan, None
        if plan is None or plan.base is not self.timeline:
            return
        position = self._position_ms() if self._clock_running else self._done_ms
        pending = self._pending_from_ms
        if plan.cut_ms <= max(position + REPLAN_LEAD_MS / 2, self._done_ms) or (pending is not None and pending >= plan.cut_ms):
            return
        # Everything before the cut is the same in both plans, so the moments that already happened
        # are the same first self._next ones.
        self.timeline, self.segments, self.steps = plan.timeline, plan.segments, plan.steps
        self._moments, self._moment_ms = plan.moments, [m.at_ms for m in plan.moments]
        if self._render is not None:
            self._render.retarget(plan.timeline, plan.segments, bisect_left([s.start_ms for s in plan.segments], plan.cut_ms))

    def _deadline(self, moment: _Moment) -> float:
        deadline = self._origin_ms + moment.at_ms
        playing = self._playing
        if moment.order == _CUE and playing and not playing.stopped and moment.what in playing.segment.cues:
            deadline += max(0.0, playing.late_ms)  # a caption waits for its late sound
        return deadline

    def _happen(self, moment: _Moment) -> bool:
        """Do what is due at the moment; False if a command interrupted it (it is then tried again)."""
        what = moment.what
        if self._render is not None:
            self._render.focus(moment.at_ms)
        if moment.order == _SOUND and isinstance(what, Segment):
            return self._play(what, what.start_ms)
        if moment.order == _STEP and isinstance(what, PlayerStep):
            self._enter_step(what.index)
        elif moment.order == _CUE and isinstance(what, Cue):
            self._cue_started(what)
        elif moment.order == _PROGRESS:
            self._emit_progress(moment.at_ms)
        elif moment.order == _END:
            self._let_last_sound_finish()
        return True

    def _play(self, segment: Segment, from_ms: int) -> bool:
        pcm = self._pcm_waiting(segment)
        if pcm is None:
            return False
        self._wait_until_quiet()
        offset = ms_to_samples(from_ms) - ms_to_samples(segment.start_ms)
        started_ms = self._position_ms()
        handle = self._output.play(pcm[offset:])
        if self._first_sound_ms is None:
            self._first_sound_ms = self._clock.now_ms() - self._run_started_ms
        self._playing = _Playing(handle, segment, from_ms, started_ms)
        return True

    def _resume_pending_play(self) -> bool:
        from_ms = self._pending_from_ms
        segment = segment_playing_at(self.segments, from_ms) if from_ms is not None else None
        if segment is None or from_ms is None:
            self._pending_from_ms = None
            return True
        if not self._play(segment, from_ms):
            return False
        self._pending_from_ms = None
        return True

    def _cue_started(self, cue: Cue) -> None:
        playing = self._playing
        if playing and cue in playing.segment.cues:
            actual_ms = playing.started_ms + (cue.start_ms - playing.from_ms)
        else:
            actual_ms = self._position_ms()
        late_ms = actual_ms - cue.start_ms
        self._late_ms.append(late_ms)
        if self._timing_log is not None:
            entry: dict[str, object] = {"text": cue.text, "kind": cue.kind, "scheduled_ms": cue.start_ms,
                                        "actual_ms": round(actual_ms, 1), "late_ms": round(late_ms, 1)}
            if cue.is_speech:
                entry["planned_ms"] = cue.duration_ms   # the length its sentence was given
            if cue.tone:
                entry["tone"] = cue.tone
            opens_segment = playing is not None and cue is playing.segment.cues[0]
            waited_ms = self._waited_ms.get(playing.segment.index, 0.0) if playing and opens_segment else 0.0
            if waited_ms:
                entry["waited_ms"] = round(waited_ms, 1)   # the session held still this long for it
            self._timing_log.write(json.dumps(entry) + "\n")
            self._timing_log.flush()
        if cue.is_speech:
            self._emit(Caption(cue, cue.start_ms))

    def _enter_step(self, index: int) -> None:
        self._step = index
        self._emit(StepChanged(self.steps[index], self._step_after(index), self._position_ms()))

    def _emit_progress(self, position_ms: float) -> None:
        if self._step >= 0:
            self._emit(Progress(position_ms, self.timeline.duration_ms, self.steps[self._step],
                                self._step_after(self._step)))

    def _let_last_sound_finish(self) -> None:
        give_up_ms = self._clock.now_ms() + _DRAIN_WAIT_MS
        while self._playing and not self._playing.stopped and self._playing.handle.is_playing():
            if self._clock.now_ms() >= give_up_ms:
                break
            if not self._clock.sleep_until(self._clock.now_ms() + _POLL_S * 1000, self._wake):
                self._handle_commands()

    def _wait_until_quiet(self) -> None:
        """Never talk over the previous segment: if it is still sounding (it started late), this one
        waits for it; later deadlines stay where they are."""
        playing = self._playing
        if playing is None or playing.stopped:
            return
        give_up_ms = self._clock.now_ms() + playing.segment.duration_ms + _DRAIN_WAIT_MS
        while playing.handle.is_playing() and self._clock.now_ms() < give_up_ms:
            if not self._clock.sleep_until(self._clock.now_ms() + _POLL_S * 1000, self._wake):
                return  # a command is waiting: let the caller go on and handle it

    # -- commands --------------------------------------------------------------------------------------

    def _drain_commands(self) -> list[str]:
        self._wake.clear()
        names = []
        while True:
            try:
                names.append(self._commands.get_nowait())
            except queue.Empty:
                return names

    def _handle_commands(self) -> None:
        for name in self._drain_commands():
            if name in _ENDING_COMMANDS:
                self._stop_sound()
                raise _SessionOver(_ENDING_COMMANDS[name])
            if name in ("pause", "toggle-pause"):
                self._pause()
            elif name == "next":
                self._jump(self._next_step_start(self._position_ms()))
            elif name == "repeat":
                self._jump(self._step_start(self._position_ms()))
            # "resume" while playing: nothing to do

    def _pause(self) -> None:
        paused_at_ms = min(self._position_ms(), float(self.timeline.duration_ms))
        self._clock_running = False
        self._stop_sound()
        self._emit(Paused(paused_at_ms))
        # Resume from the start of an interrupted sentence, not from the middle of a word.
        cue = speech_cue_at(self.segments, paused_at_ms)
        resume_ms = cue.start_ms if cue is not None else paused_at_ms
        while True:
            self._clock.sleep_until(float("inf"), self._wake)
            for name in self._drain_commands():
                if name in _ENDING_COMMANDS:
                    raise _SessionOver(_ENDING_COMMANDS[name])
                if name in ("resume", "toggle-pause"):
                    target_ms = resume_ms
                elif name == "next":
                    target_ms = self._next_step_start(paused_at_ms)
                elif name == "repeat":
                    target_ms = self._step_start(paused_at_ms)
                else:
                    continue
                self._jump(target_ms)
                self._clock_running = True
                self._emit(Resumed(target_ms))
                return

    def _jump(self, target_ms: float) -> None:
        """Go on from target_ms now: the origin moves so that now is target_ms."""
        self._stop_sound()
        self._origin_ms = self._clock.now_ms() - target_ms
        self._next = bisect_left(self._moment_ms, target_ms)
        if self._render is not None:
            self._render.focus(target_ms)
        segment = segment_playing_at(self.segments, target_ms)
        sounding = segment is not None and any(c.start_ms <= target_ms < c.end_ms for c in segment.cues)
        self._pending_from_ms = int(target_ms) if segment and sounding and target_ms > segment.start_ms else None
        step = index_at(self.steps, target_ms)
        if step >= 0 and self.steps[step].start_ms != target_ms:
            self._enter_step(step)  # a step starting right there is announced by its own moment

    def _step_start(self, position_ms: float) -> float:
        i = index_at(self.steps, position_ms)
        return float(self.steps[i].start_ms) if i >= 0 else 0.0

    def _next_step_start(self, position_ms: float) -> float:
        i = index_at(self.steps, position_ms)
        return float(self.steps[i + 1].start_ms) if i + 1 < len(self.steps) else float(self.timeline.duration_ms)

    # -- helpers ---------------------------------------------------------------------------------------

    def _pcm_waiting(self, segment: Segment) -> np.ndarray | None:
        """The segment's PCM; if it is not ready, the session waits for it: the origin moves by the
        time waited. None when a command arrives first (the caller handles it and asks again)."""
        assert self._render is not None
        pcm = self._render.ready(segment.index)
        if pcm is not None:
            return pcm
        self._held_ms = self._position_ms()
        self._emit(Waiting(self._held_ms))
        started_ms = self._clock.now_ms()
        pcm = self._render.get(segment.index, self._wake)
        waited_ms = self._clock.now_ms() - started_ms
        self._origin_ms += waited_ms
        self._held_ms = None
        self._waited_ms[segment.index] = self._waited_ms.get(segment.index, 0.0) + waited_ms
        if pcm is not None:
            self._emit(Resumed(self._position_ms()))
        return pcm

    def _position_ms(self) -> float:
        return self._clock.now_ms() - self._origin_ms

    def _stop_sound(self) -> None:
        playing = self._playing
        if playing is not None and not playing.stopped:
            playing.handle.stop()
            playing.stopped = True

    def _step_after(self, index: int) -> PlayerStep | None:
        return self.steps[index + 1] if index + 1 < len(self.steps) else None

    def _emit(self, event: Event) -> None:
        self._on_event(event)

    def _result(self, ended: str) -> SessionResult:
        position_ms = self.timeline.duration_ms if ended == "completed" else self._position_ms()
        return SessionResult(ended, max(0.0, position_ms), self.timeline.duration_ms, self._first_sound_ms,
                             tuple(self._late_ms), tuple(w for w in self._waited_ms.values() if w > 0))


_SOUND, _STEP, _CUE, _PROGRESS, _END = range(5)


def _moments(timeline: Timeline, segments: tuple[Segment, ...], steps_: tuple[PlayerStep, ...]) -> list[_Moment]:
    moments = [_Moment(s.start_ms, _SOUND, s) for s in segments]
    moments += [_Moment(s.start_ms, _STEP, s) for s in steps_]
    moments += [_Moment(c.start_ms, _CUE, c) for s in segments for c in s.cues]
    moments += [_Moment(ms, _PROGRESS, None) for ms in range(0, timeline.duration_ms, PROGRESS_EVERY_MS)]
    moments.append(_Moment(timeline.duration_ms, _END, None))
    return sorted(moments, key=lambda m: (m.at_ms, m.order))
