"""The player without a sound card: segments and steps, the deadline loop on a fake clock, views, keys."""

from __future__ import annotations

import io
import json
import os
import termios
import threading
import time
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.audio_format import ms_to_samples
from coach.errors import EngineError
from coach.mix import mix_range, mix_to_array
from coach.model import CompileOptions
from coach.player import (
    Waiting,
    Caption,
    KeyReader,
    PlainView,
    Player,
    SimpleaudioOutput,
    StepChanged,
    TerminalView,
    command_for_key,
    scale_pcm,
    sound_segments,
    steps,
)
from coach.player.segments import MERGE_GAP_MS, SPAN_KINDS
from coach.library import resolve
from coach.session.prepare import estimated_timeline
from coach.timeline.estimate import estimate_spoken_ms
from coach.timeline.model import Chapter, Cue, Timeline

# -- fakes ----------------------------------------------------------------------------------------------


class FakeClock:
    """Time moves only when the player sleeps (or a test advances it). Actions run at exact times from
    inside sleep_until, as if a key had been pressed then."""

    def __init__(self) -> None:
        self.now = 0.0
        self._actions: list[tuple[float, object]] = []
        self._lock = threading.Lock()

    def at(self, at_ms: float, action) -> None:
        self._actions.append((at_ms, action))
        self._actions.sort(key=lambda a: a[0])

    def advance(self, ms: float) -> None:
        with self._lock:
            self.now += ms

    def now_ms(self) -> float:
        return self.now

    def sleep_until(self, deadline_ms: float, wake: threading.Event) -> bool:
        while True:
            if wake.is_set():
                return False
            with self._lock:
                if self._actions and self._actions[0][0] <= deadline_ms:
                    at_ms, action = self._actions.pop(0)
                    self.now = max(self.now, at_ms)
                else:
                    if deadline_ms == float("inf"):
                        raise AssertionError("the player would wait forever")
                    self.now = max(self.now, deadline_ms)
                    return True
            action()


class FakeHandle:
    def __init__(self, clock: FakeClock, samples: int):
        self.clock = clock
        self.started_ms = clock.now
        self.length_ms = samples * 1000 / 22050
        self.stopped_ms: float | None = None

    def stop(self) -> None:
        if self.stopped_ms is None:
            self.stopped_ms = self.clock.now

    def is_playing(self) -> bool:
        return self.stopped_ms is None and self.clock.now < self.started_ms + self.length_ms


class FakeOutput:
    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.plays: list[tuple[float, np.ndarray, FakeHandle]] = []

    def play(self, pcm: np.ndarray) -> FakeHandle:
        handle = FakeHandle(self.clock, len(pcm))
        self.plays.append((self.clock.now, np.array(pcm), handle))
        return handle

    @property
    def times(self) -> list[float]:
        return [t for t, _, _ in self.plays]


def noise_clip(text: str, ms: int = 400) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(text.encode()))
    n = ms_to_samples(ms)
    env = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / 50.0)
    return np.round(rng.standard_normal(n) * 3000 * env).astype(np.int16)


def estimated_clip(text: str) -> np.ndarray:
    """A clip exactly as long as the compiler's estimate, so it fits a estimated_timeline timeline."""
    return noise_clip(text, estimate_spoken_ms(text))


def small_timeline() -> Timeline:
    """7.6 s: bell, two sentences, a hold with a cue and a countdown, an outro with a closing bell."""
    cues = [
        Cue(0, 1200, "tone", chapter="Start", tone="bell"),
        Cue(1500, 1900, "intro", "Hello.", chapter="Start"),
        Cue(2300, 2700, "instruction", "Lie down.", chapter="Start"),
        Cue(2700, 5700, "hold", chapter="Hold"),
        Cue(3000, 3400, "hold-cue", "Relax.", chapter="Hold"),
        Cue(5000, 5400, "countdown", "One.", chapter="Hold"),
        Cue(6000, 6400, "outro", "Done.", chapter="Finish"),
        Cue(6400, 7600, "tone", chapter="Finish", tone="bell"),
    ]
    chapters = (Chapter("Start", 0, 2700), Chapter("Hold", 2700, 6000), Chapter("Finish", 6000, 7600))
    return Timeline("small", "Small", 7600, tuple(cues), chapters)


def run(timeline: Timeline, clock: FakeClock | None = None, clip_for=noise_clip, **kwargs):
    clock = clock or FakeClock()
    output = FakeOutput(clock)
    log = io.StringIO()
    events: list = []
    player = Player(timeline, clip_for, output, clock=clock, on_event=events.append, timing_log=log, **kwargs)
    result = player.run()
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    return player, output, result, lines, events


# -- mixing a range ------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(start_ms=st.integers(-100, 8000), length_ms=st.integers(0, 4000))
def test_mix_range_is_exactly_a_slice_of_the_whole_mix(start_ms, length_ms):
    tl = small_timeline()
    whole = mix_to_array(tl, noise_clip)
    asked: list[str] = []

    def clip_for(text: str) -> np.ndarray:
        asked.append(text)
        return noise_clip(text)

    part = mix_range(tl, clip_for, start_ms, start_ms + length_ms)
    lo = min(max(ms_to_samples(start_ms), 0), len(whole))
    hi = min(max(ms_to_samples(start_ms + length_ms), lo), len(whole))
    assert np.array_equal(part, whole[lo:hi])
    # Only the clips that reach into the range are fetched.
    for text in asked:
        cue = next(c for c in tl.cues if c.text == text)
        assert cue.start_ms < start_ms + length_ms and cue.end_ms + 2 > start_ms


# -- segments and steps --------------------------------------------------------------------------------

def test_segments_group_overlapping_and_close_sounds_only():
    cues = (
        Cue(0, 250, "tone", tone="inhale"), Cue(0, 900, "breath", "Breathe in."),      # overlap
        Cue(900 + MERGE_GAP_MS - 1, 1500, "halfway", "Halfway."),                     # just too close
        Cue(1500 + MERGE_GAP_MS, 2000, "countdown", "One."),                          # far enough
        Cue(0, 3000, "hold"),                                                         # silent: no segment
    )
    tl = Timeline("t", "T", 2001, cues, (Chapter("All", 0, 2001),))
    segs = sound_segments(tl)
    assert [(s.start_ms, s.end_ms, len(s.cues)) for s in segs] == [(0, 1502, 3), (1750, 2001, 1)]


@pytest.mark.parametrize("name", ["child-pose", "cat-cow", "supine-spinal-twist"])
def test_segments_of_a_routine_rebuild_the_export_with_silence_between(name):
    tl = estimated_timeline(resolve(name), CompileOptions())
    segs = sound_segments(tl)
    sounding = [c for c in tl.cues if c.is_audible]
    assert sum(len(s.cues) for s in segs) == len(sounding)
    for a, b in zip(segs, segs[1:]):
        assert b.start_ms - a.end_ms >= MERGE_GAP_MS - 2   # never two buffers at once
    rebuilt = np.zeros(ms_to_samples(tl.duration_ms), dtype=np.int16)
    for seg in segs:
        pcm = mix_range(tl, estimated_clip, seg.start_ms, seg.end_ms)
        rebuilt[ms_to_samples(seg.start_ms):ms_to_samples(seg.start_ms) + len(pcm)] = pcm
    assert np.array_equal(rebuilt, mix_to_array(tl, estimated_clip))


@pytest.mark.parametrize("name", ["child-pose", "cat-cow", "supine-spinal-twist", "morning-back"])
def test_steps_cover_the_session_and_spans_keep_their_cues(name):
    tl = estimated_timeline(resolve(name), CompileOptions())
    st_ = steps(tl)
    assert st_[0].start_ms == 0 and st_[-1].end_ms == tl.duration_ms
    assert all(a.end_ms == b.start_ms and a.start_ms < a.end_ms for a, b in zip(st_, st_[1:]))
    starts = {s.start_ms for s in st_}
    spans = [c for c in tl.cues if c.kind in SPAN_KINDS]
    for span in spans:
        assert span.start_ms in starts
        inside = [c for c in tl.cues if c.is_speech and span.start_ms < c.start_ms < span.end_ms]
        assert not starts & {c.start_ms for c in inside}        # `n` skips a hold, not its countdown
    assert {s.kind for s in st_} >= {"hold"} or {s.kind for s in st_} >= {"breathe"}
    assert all(s.chapter for s in st_)


# -- the deadline loop ---------------------------------------------------------------------------------

def test_each_segment_plays_at_its_absolute_deadline_with_the_exported_samples():
    tl = small_timeline()
    player, output, result, log, events = run(tl)
    assert result.ended == "completed" and result.first_sound_ms == 0
    assert output.times == [s.start_ms for s in player.segments]
    whole = mix_to_array(tl, noise_clip)
    for (_, pcm, _), seg in zip(output.plays, player.segments):
        assert np.array_equal(pcm, whole[ms_to_samples(seg.start_ms):ms_to_samples(seg.end_ms)])
    sounding = [c for c in tl.cues if c.is_audible]
    assert [(e["text"], e["kind"], e["scheduled_ms"]) for e in log] == [(c.text, c.kind, c.start_ms) for c in sounding]
    assert all(set(e) >= {"text", "kind", "scheduled_ms", "actual_ms", "late_ms"} for e in log)
    assert all(e["late_ms"] == 0 and e["actual_ms"] == e["scheduled_ms"] for e in log)
    assert [e.cue.text for e in events if isinstance(e, Caption)] == [c.text for c in sounding if c.text]


def test_a_slow_clip_makes_the_session_wait_for_it_and_skips_nothing():
    tl = small_timeline()
    clock = FakeClock()

    def clip_for(text: str) -> np.ndarray:
        if text == "Relax.":
            clock.advance(900)   # synthesis took 0.9 s, started only 0.5 s ahead (render_ahead_ms)
        return noise_clip(text)

    _, output, result, log, events = run(tl, clock, clip_for, render_ahead_ms=500)
    waited = {e["text"]: e["waited_ms"] for e in log if "waited_ms" in e}
    assert list(waited) == ["Relax."] and waited["Relax."] > 0
    assert result.waited_ms == (waited["Relax."],)
    assert {e["late_ms"] for e in log} == {0}                    # it waited instead of playing late
    assert [e["text"] or e["tone"] for e in log] == [c.text or c.tone for c in tl.cues if c.is_audible]
    wait = waited["Relax."]
    assert output.times[-2:] == [5000 + wait, 6000 + wait]      # everything after moved with it
    assert any(isinstance(e, Waiting) for e in events)
    assert result.ended == "completed"


def test_the_first_sound_never_waits_for_the_voice():
    """A voice model still loading for the first sentence does not hold back the opening bell: the
    session starts at once, and the sentence plays on time once the model is ready (issue 10)."""
    tl = small_timeline()
    clock = FakeClock()
    model_loaded = threading.Event()
    clock.at(1000, model_loaded.set)        # the model is ready 1 s in, before "Hello." is due at 1.5 s

    def clip_for(text: str) -> np.ndarray:
        if text == "Hello.":
            assert model_loaded.wait(10)
        return noise_clip(text)

    _, output, result, log, _ = run(tl, clock, clip_for)
    assert result.first_sound_ms == 0 and output.times[:2] == [0, 1500]
    assert {e["late_ms"] for e in log} == {0} and result.waited_ms == ()


def test_next_on_the_last_step_ends_the_session():
    tl = small_timeline()
    clock = FakeClock()
    box: list[Player] = []
    clock.at(6100, lambda: box[0].command("next"))
    output = FakeOutput(clock)
    box.append(Player(tl, noise_clip, output, clock=clock))
    result = box[0].run()
    assert result.ended == "completed" and clock.now == 6100 and output.plays[-1][2].stopped_ms == 6100


def test_a_late_segment_never_talks_over_the_one_before():
    cues = (Cue(0, 2000, "intro", "Long sentence."), Cue(2300, 2700, "instruction", "Next."))
    tl = Timeline("t", "T", 2700, cues, (Chapter("All", 0, 2700),))
    clock = FakeClock()

    def clip_for(text: str) -> np.ndarray:
        if text == "Long sentence.":
            clock.advance(600)   # the first sound starts 600 ms late... (origin is set before)
        return noise_clip(text, 2000 if text == "Long sentence." else 400)

    _, output, _, log, _ = run(tl, clock, clip_for, render_ahead_ms=100)
    first, second = output.plays
    assert second[0] >= first[0] + first[2].length_ms    # ...so the next waits for it to finish


def test_pause_shifts_the_origin_and_resumes_where_it_was():
    tl = small_timeline()
    clock = FakeClock()
    clock.at(600, lambda: player_box[0].command("pause"))     # in the bell: no sentence to restart
    clock.at(4600, lambda: player_box[0].command("toggle-pause"))
    player_box: list[Player] = []
    output = FakeOutput(clock)
    log = io.StringIO()
    player = Player(tl, noise_clip, output, clock=clock, timing_log=log)
    player_box.append(player)
    result = player.run()
    assert result.ended == "completed"
    bell, resumed = output.plays[0], output.plays[1]
    assert bell[2].stopped_ms == 600
    whole = mix_to_array(tl, noise_clip)
    assert resumed[0] == 4600 and np.array_equal(resumed[1], whole[ms_to_samples(600):ms_to_samples(1202)])
    paused_ms = 4000
    assert [t for t, _, _ in output.plays[2:]] == [s.start_ms + paused_ms for s in player.segments[1:]]
    entries = [json.loads(line) for line in log.getvalue().splitlines()]
    assert all(e["late_ms"] == 0 for e in entries)           # paused time is not lateness
    assert len(entries) == len([c for c in tl.cues if c.is_audible])


def test_a_pause_mid_sentence_resumes_from_the_start_of_that_sentence():
    tl = small_timeline()
    clock = FakeClock()
    box: list[Player] = []
    clock.at(1700, lambda: box[0].command("toggle-pause"))    # inside "Hello." (1500-1900)
    clock.at(3000, lambda: box[0].command("toggle-pause"))
    output = FakeOutput(clock)
    box.append(Player(tl, noise_clip, output, clock=clock))
    box[0].run()
    hello = [p for p in output.plays if p[0] in (1500, 3000)]
    assert len(hello) == 2 and np.array_equal(hello[0][1], hello[1][1])   # said again, whole
    assert output.plays[3][0] == 2300 + (3000 - 1500)


def test_next_and_repeat_move_between_steps():
    tl = small_timeline()
    clock = FakeClock()
    box: list[Player] = []
    clock.at(1600, lambda: box[0].command("next"))      # in "Hello.": on to "Lie down." (2300) now
    clock.at(3100, lambda: box[0].command("repeat"))    # then at position 3800, in the hold: back to 2700
    output = FakeOutput(clock)
    events: list = []
    box.append(Player(tl, noise_clip, output, clock=clock, on_event=events.append))
    result = box[0].run()
    assert result.ended == "completed"
    # Clock times: "next" moves the origin by -700, "repeat" by +1100; the hold's cue is said twice.
    assert output.times == [0, 1500, 1600, 3000 - 700, 3000 + 400, 5000 + 400, 6000 + 400]
    assert output.plays[1][2].stopped_ms == 1600
    steps_seen = [e.step.kind for e in events if isinstance(e, StepChanged)]
    assert steps_seen == ["intro", "instruction", "hold", "hold", "outro"]


@pytest.mark.parametrize("command, ended", [("quit", "quit"), ("safety-stop", "safety-stop"),
                                             ("interrupt", "interrupted")])
def test_quit_and_safety_stop_silence_the_sound_at_once(command, ended):
    tl = small_timeline()
    clock = FakeClock()
    box: list[Player] = []
    clock.at(1700, lambda: box[0].command(command))
    output = FakeOutput(clock)
    box.append(Player(tl, noise_clip, output, clock=clock))
    result = box[0].run()
    assert result.ended == ended and result.position_ms == 1700
    assert output.plays[-1][2].stopped_ms == 1700 and len(output.plays) == 2


def test_ctrl_c_stops_the_sound_and_ends_as_interrupted():
    tl = small_timeline()
    clock = FakeClock()

    def interrupt():
        raise KeyboardInterrupt

    clock.at(1700, interrupt)
    _, output, result, _, _ = run(tl, clock)
    assert result.ended == "interrupted" and output.plays[-1][2].stopped_ms == 1700
    assert not [t for t in threading.enumerate() if t.name == "coach-render-ahead"]


def test_an_engine_failure_reaches_the_caller_and_no_thread_is_left():
    tl = small_timeline()

    def clip_for(text: str) -> np.ndarray:
        if text == "Relax.":
            raise EngineError("the voice went away")
        return noise_clip(text)

    with pytest.raises(EngineError, match="went away"):
        run(tl, clip_for=clip_for)
    assert not [t for t in threading.enumerate() if t.name == "coach-render-ahead"]


def test_clips_are_fetched_ahead_within_the_window_only():
    tl = small_timeline()
    clock = FakeClock()
    fetched: dict[str, float] = {}

    def clip_for(text: str) -> np.ndarray:
        fetched[text] = clock.now
        return noise_clip(text)

    run(tl, clock, clip_for, render_ahead_ms=1000)
    for cue in tl.cues:
        if cue.text:
            assert cue.start_ms - 2000 <= fetched[cue.text] <= cue.start_ms   # window + one progress tick


def test_unknown_commands_are_refused():
    player = Player(small_timeline(), noise_clip, FakeOutput(FakeClock()), clock=FakeClock())
    with pytest.raises(ValueError, match="unknown command"):
        player.command("rewind")


# -- views -----------------------------------------------------------------------------------------------

def test_plain_view_prints_one_caption_line_per_spoken_cue():
    out = io.StringIO()
    run_events = run(small_timeline())[4]
    view = PlainView(out)
    for event in run_events:
        view(event)
    assert out.getvalue().splitlines() == ["0:01.5  Hello.", "0:02.3  Lie down.", "0:03.0  Relax.", "0:05.0  One.",
                                           "0:06.0  Done."]


def test_terminal_view_keeps_a_status_line_under_the_captions():
    out = io.StringIO()
    view = TerminalView(out, width=200)
    events = run(small_timeline())[4]
    hold_progress = next(e for e in events if type(e).__name__ == "Progress" and e.position_ms == 4000)
    for event in events:
        view(event)
        if event is hold_progress:
            status = view.status_text()
    assert status == "Hold | Hold: 0:02 left | next: Finish | session 0:04 left of 0:08"
    text = out.getvalue()
    assert "\r\x1b[K0:01.5  Hello.\n" in text
    assert text.split("\n")[0].endswith("Small, 0:07.6  (space pause/resume, n next step, p repeat step, "
                                         "q quit, s safety stop)")
    assert text.endswith("Session complete. Well done.\n")
    view.close()


# -- keys and output ---------------------------------------------------------------------------------------

def test_keys_map_to_commands():
    assert [command_for_key(k) for k in " npqsNx\x03"] == ["toggle-pause", "next", "repeat", "quit",
                                                            "safety-stop", "next", None, "interrupt"]


def test_key_reader_uses_cbreak_on_a_terminal_and_restores_it():
    master, slave = os.openpty()
    try:
        before = termios.tcgetattr(slave)
        got: list[str] = []
        with os.fdopen(os.dup(slave), "r") as stream, KeyReader(got.append, stream) as reader:
            assert reader.active
            during = termios.tcgetattr(slave)
            assert not during[3] & termios.ICANON and not during[3] & termios.ECHO
            assert not during[3] & termios.ISIG   # Ctrl-C is read as a key, not left to a signal
            os.write(master, b"nx ")
            deadline = time.monotonic() + 2
            while len(got) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
        assert got == ["next", "toggle-pause"]
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)


def test_key_reader_reads_nothing_without_a_terminal():
    with KeyReader(lambda name: None, io.StringIO("q")) as reader:
        assert not reader.active


def test_volume_scales_the_samples():
    pcm = np.array([0, 1000, -1000, 32767, -32768], dtype=np.int16)
    assert scale_pcm(pcm, 1.0) is pcm
    assert scale_pcm(pcm, 0.5).tolist() == [0, 500, -500, 16384, -16384]
    with pytest.raises(ValueError):
        SimpleaudioOutput(volume=1.5)


@pytest.mark.parametrize("ms, shown", [(0, "0:00.0"), (61_234, "1:01.2"), (179_949, "2:59.9"),
                                       (179_950, "3:00.0"), (179_999, "3:00.0"), (59_999, "1:00.0")])
def test_clock_times_never_read_sixty_seconds(ms, shown):
    from coach.render_text import clock

    assert clock(ms) == shown
