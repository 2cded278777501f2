"""The background under a real-time session, without a sound card: the continuous stream's mixing and
pacing (a stand-in device), the bed that follows the player (against export's bed, sample for sample),
and the player's position as the bed reads it. The real sessions are in test_background.py."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from coach.audio_format import SAMPLE_RATE, ms_to_samples
from coach.background import DUCK_DB
from coach.background.bed import Background, bed_pcm, load_background
from coach.background.follow import SLEW_MS, SessionBed, slewed
from coach.errors import AudioOutputError
from coach.player import Player, Waiting
from coach.player.stream import LEAD_MS, PERIOD_SAMPLES, PERIODS, StreamOutput
from coach.timeline.model import Chapter, Cue, Timeline
from test_player import FakeClock, FakeOutput, noise_clip, small_timeline


class ConstantBed:
    def __init__(self, value: float):
        self.value = value

    def next(self, count: int) -> np.ndarray:
        return np.full(count, self.value)


class FakeDevice:
    """A pyalsaaudio PCM stand-in: keeps what is written; paces like a card (the write advances the
    clock by a period once the buffer is full) or like ALSA's null device (takes everything at once)."""

    def __init__(self, clock: list[float], paces: bool):
        self.clock, self.paces = clock, paces
        self.written: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.written.append(data)
        if self.paces and len(self.written) > PERIODS:
            self.clock[0] += PERIOD_SAMPLES / SAMPLE_RATE
        return len(data) // 2

    def avail(self) -> int:
        return PERIOD_SAMPLES if self.paces and len(self.written) >= PERIODS else PERIODS * PERIOD_SAMPLES

    def drain(self) -> None:
        self.drained = True

    def close(self) -> None:
        pass


def stream(volume: float = 1.0) -> StreamOutput:
    return StreamOutput(volume=volume, open_pcm=lambda _device: None)


# -- the stream ---------------------------------------------------------------------------------------------

def test_speech_is_mixed_on_the_bed_and_leaves_it_when_stopped():
    out = stream()
    out.set_bed(ConstantBed(100.0))
    assert np.all(out.mix_period() == 100)
    voice = out.play(np.full(PERIOD_SAMPLES + 10, 1000, dtype=np.int16))
    assert voice.is_playing()
    assert np.all(out.mix_period() == 1100)
    tail = out.mix_period()
    assert np.all(tail[:10] == 1100) and np.all(tail[10:] == 100)
    assert not voice.is_playing()                          # all of it has gone to the device
    stopped = out.play(np.full(10 * PERIOD_SAMPLES, 2000, dtype=np.int16))
    out.mix_period()
    stopped.stop()
    assert not stopped.is_playing() and np.all(out.mix_period() == 100)


def test_two_sounds_add_up_and_the_volume_scales_the_whole_mix():
    out = stream(volume=0.5)
    out.set_bed(ConstantBed(200.0))
    out.play(np.full(PERIOD_SAMPLES, 1000, dtype=np.int16))
    out.play(np.full(PERIOD_SAMPLES, 3000, dtype=np.int16))
    assert np.all(out.mix_period() == 2100)
    out.play(np.full(PERIOD_SAMPLES, 32000, dtype=np.int16))
    out.play(np.full(PERIOD_SAMPLES, 32000, dtype=np.int16))
    out.volume = 1.0
    assert np.all(out.mix_period() == 32767)               # clipped, never wrapped


def test_removing_the_bed_ramps_it_to_silence_in_one_period():
    out = stream()
    out.set_bed(ConstantBed(1000.0))
    out.mix_period()
    out.set_bed(None)
    ramp = out.mix_period()
    assert ramp[0] == 1000 and ramp[-1] == 0 and np.all(np.diff(ramp) <= 0)
    assert not np.any(out.mix_period())


@pytest.mark.parametrize("paces", [False, True])
def test_the_writer_keeps_just_ahead_of_real_time(paces):
    """On the null device the writer holds itself LEAD_MS ahead of the clock; on a card that blocks,
    the card paces it and the writer never sleeps."""
    now = [0.0]
    slept: list[float] = []
    out = None

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    device = FakeDevice(now, paces)
    out = StreamOutput(open_pcm=lambda _device: device, clock=lambda: now[0], sleep=sleep)
    out.set_bed(ConstantBed(5.0))
    out.open()
    threading.Event().wait(0.05)
    assert device.written == []                     # nothing before the first sound: it would only delay it
    first = out.play(np.full(PERIOD_SAMPLES, 1000, dtype=np.int16))
    try:
        while now[0] < 2.0 and out.error is None:
            threading.Event().wait(0.001)
    finally:
        out.close()
    assert out.error is None and device.drained
    written_s = len(device.written) * PERIOD_SAMPLES / SAMPLE_RATE
    if paces:
        assert not slept
        assert written_s == pytest.approx(now[0] + PERIODS * PERIOD_SAMPLES / SAMPLE_RATE, abs=0.05)
    else:
        assert slept
        assert now[0] + LEAD_MS / 1000 <= written_s + 0.001
        assert written_s <= now[0] + LEAD_MS / 1000 + 2 * PERIOD_SAMPLES / SAMPLE_RATE
    assert np.all(np.frombuffer(device.written[0], dtype="<i2") == 1005)   # the first sound went out first
    assert not first.is_playing()
    assert all(np.all(np.frombuffer(d, dtype="<i2") == 5) for d in device.written[1:])


def test_an_underrun_writes_the_same_period_again():
    class Late(FakeDevice):
        def write(self, data: bytes) -> int:
            if len(self.written) == 2 and not getattr(self, "ran_dry", False):
                self.ran_dry = True
                return -32            # -EPIPE: pyalsaaudio recovered the stream, nothing was written
            return super().write(data)

    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    device = Late(now, False)
    out = StreamOutput(open_pcm=lambda _device: device, clock=lambda: now[0], sleep=sleep)
    out.open()
    out.play(np.arange(4 * PERIOD_SAMPLES, dtype=np.int16))
    while now[0] < 0.5 and out.error is None:
        threading.Event().wait(0.001)
    out.close()
    assert out.underruns == 1 and out.error is None
    sent = np.concatenate([np.frombuffer(d, dtype="<i2") for d in device.written])
    assert np.array_equal(sent[:4 * PERIOD_SAMPLES], np.arange(4 * PERIOD_SAMPLES))   # nothing lost


def test_a_device_that_fails_mid_session_is_reported_by_the_next_sound():
    class Broken(FakeDevice):
        def write(self, data: bytes) -> int:
            raise OSError("device unplugged")

    out = StreamOutput(open_pcm=lambda _device: Broken([0.0], False), export_hint="coach export x -o x.mp3")
    out.open()
    out.play(np.zeros(10, dtype=np.int16))
    out.close()
    with pytest.raises(AudioOutputError, match="device unplugged.*coach export x -o x.mp3"):
        out.play(np.zeros(10, dtype=np.int16))


# -- the bed that follows the player ------------------------------------------------------------------------

def test_an_uninterrupted_session_bed_is_sample_for_sample_the_export_bed():
    timeline = small_timeline()
    background = load_background("ocean", -30.0)
    played = [0]
    bed = SessionBed(background, lambda: timeline, lambda: played[0] * 1000 / SAMPLE_RATE)
    pieces = []
    while played[0] < ms_to_samples(timeline.duration_ms):
        pieces.append(bed.next(PERIOD_SAMPLES))
        played[0] += PERIOD_SAMPLES
    live = np.concatenate(pieces)
    export = bed_pcm(background, timeline, 0, len(live))
    # The position is read in whole ms, so the live gain may be up to 1 ms behind: far under a 0.1 dB step.
    assert np.allclose(live, export, rtol=0.01, atol=1.0)


def test_pause_and_a_skip_ramp_the_gain_instead_of_cutting_it():
    timeline = small_timeline()
    background = Background("dc", np.ones(1000, dtype=np.float32), -30.0)   # the samples are the gain
    position: list[float | None] = [4000.0]     # in the hold: the bed at its full level
    bed = SessionBed(background, lambda: timeline, lambda: position[0])
    full = 32768 * 10 ** (-30 / 20)
    for _ in range(20):
        level = bed.next(PERIOD_SAMPLES)
        position[0] += PERIOD_SAMPLES * 1000 / SAMPLE_RATE
    assert level[-1] == pytest.approx(full, rel=1e-3)
    position[0] = None                                   # paused: silent after SLEW_MS, not at once
    paused = np.concatenate([bed.next(PERIOD_SAMPLES) for _ in range(3)])
    max_step = full / ms_to_samples(SLEW_MS)
    assert paused[0] > 0 and np.max(np.abs(np.diff(paused))) <= max_step * 1.01
    assert paused[-1] == 0
    position[0] = 1600.0                                 # resumed inside "Hello.": fully ducked
    resumed = np.concatenate([bed.next(PERIOD_SAMPLES) for _ in range(3)])
    assert np.max(np.abs(np.diff(resumed))) <= max_step * 1.01
    assert resumed[-1] == pytest.approx(full * 10 ** (-DUCK_DB / 20), rel=0.01)


def test_slewed_passes_a_smooth_target_unchanged():
    target = np.linspace(100.0, 90.0, 50)
    assert np.array_equal(slewed(100.0, target, 1.0), target)
    ramp = slewed(0.0, np.full(10, 100.0), 25.0)
    assert list(ramp[:4]) == [25.0, 50.0, 75.0, 100.0] and np.all(ramp[4:] == 100.0)


# -- the player's position, as the bed reads it -------------------------------------------------------------

def test_position_now_runs_with_the_session_and_is_none_while_paused_and_after():
    tl = small_timeline()
    clock = FakeClock()
    box: list[Player] = []
    seen: dict[str, float | None] = {}
    clock.at(1000, lambda: seen.__setitem__("playing", box[0].position_now()))
    clock.at(2000, lambda: box[0].command("pause"))
    clock.at(2500, lambda: seen.__setitem__("paused", box[0].position_now()))
    clock.at(3000, lambda: box[0].command("resume"))
    clock.at(3500, lambda: seen.__setitem__("resumed", box[0].position_now()))
    player = Player(tl, noise_clip, FakeOutput(clock), clock=clock)
    box.append(player)
    assert player.position_now() is None
    player.run()
    assert seen == {"playing": 1000.0, "paused": None, "resumed": 2500.0}
    assert player.position_now() is None


def test_position_now_holds_still_while_the_session_waits_for_a_sound():
    tl = small_timeline()
    clock = FakeClock()
    box: list[Player] = []
    held: list[tuple[float, float | None, float | None]] = []

    def clip_for(text: str) -> np.ndarray:
        if text == "Relax.":
            clock.advance(900)   # synthesis took 0.9 s, started only 0.5 s ahead
        return noise_clip(text)

    def on_event(event) -> None:
        if isinstance(event, Waiting):
            before = box[0].position_now()
            clock.advance(250)                  # time passes while it waits...
            held.append((event.position_ms, before, box[0].position_now()))

    player = Player(tl, clip_for, FakeOutput(clock), clock=clock, on_event=on_event, render_ahead_ms=500)
    box.append(player)
    assert player.run().waited_ms
    assert held and all(at == before == after for at, before, after in held)   # ...the position does not
