"""Real ALSA playback through simpleaudio, captured to a file (see tests/alsa_capture.py), and the play
and live commands end to end: captions, timing log, no device, keys and Ctrl-C on a real terminal."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import alsa_capture
import terminal
from terminal import read_until
from alsa_capture import ScaledClock, espeak_clip, read_capture, tiny_timeline, write_capture_config
from coach.session import prepare as session_prepare
from coach.audio_format import ms_to_samples
from coach.cli import cli
from coach.mix import mix_to_array
from coach.player import Player, SimpleaudioOutput, sound_segments
from coach.timeline.model import Chapter, Cue, Timeline

pytestmark = pytest.mark.slow   # real ALSA playback, real espeak-ng clips, real processes

TESTS = Path(__file__).parent
CLI_SCRIPT = "import alsa_capture; alsa_capture.run_cli()"


@pytest.fixture
def capture(tmp_path, monkeypatch) -> Path:
    """Everything played from now on is appended to the returned raw file."""
    config, raw = write_capture_config(tmp_path)
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(config))
    return raw


@pytest.fixture
def cli_env(tmp_path, monkeypatch, capture) -> Path:
    """The CLI on the tiny session, with its screening answers and history in tmp_path."""
    monkeypatch.setattr(session_prepare, "prepare", alsa_capture.fallback_prepare)
    monkeypatch.setenv("COACH_CONFIG", str(tmp_path / "screening.json"))
    monkeypatch.setenv("COACH_HISTORY_DB", str(tmp_path / "history.sqlite"))
    return capture


class Recording:
    """Passes every buffer on to the real output and remembers it."""

    def __init__(self, output, on_buffer: dict | None = None):
        self.output = output
        self.buffers: list[np.ndarray] = []
        self._on_buffer = on_buffer or {}   # buffer count -> what to do with its handle once handed over

    def play(self, pcm):
        self.buffers.append(np.array(pcm))
        handle = self.output.play(pcm)
        action = self._on_buffer.get(len(self.buffers))
        if action is not None:
            action(handle)
        return handle


def subprocess_env(tmp_path: Path, config: Path) -> dict[str, str]:
    env = dict(os.environ, ALSA_CONFIG_PATH=str(config), PYTHONPATH=str(TESTS),
               COACH_CONFIG=str(tmp_path / "screening.json"), COACH_HISTORY_DB=str(tmp_path / "history.sqlite"))
    return env


def history_outcomes(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        return db.execute("SELECT mode, outcome FROM sessions ORDER BY id").fetchall()


# -- what is played -----------------------------------------------------------------------------------

def test_captured_playback_equals_the_export_mix_segment_by_segment(capture):
    tl = tiny_timeline()
    player = Player(tl, espeak_clip, SimpleaudioOutput(), clock=ScaledClock(speed=3))
    assert player.run().ended == "completed"
    captured = read_capture(capture)
    whole = mix_to_array(tl, espeak_clip)
    expected = [whole[ms_to_samples(s.start_ms):ms_to_samples(s.end_ms)] for s in player.segments]
    assert len(captured) == sum(len(e) for e in expected)
    at = 0
    for seg, exp in zip(player.segments, expected):
        assert np.array_equal(captured[at:at + len(exp)], exp), f"segment at {seg.start_ms} ms differs"
        at += len(exp)


def test_volume_scales_what_reaches_the_device(capture):
    tl = tiny_timeline()
    player = Player(tl, espeak_clip, SimpleaudioOutput(volume=0.5), clock=ScaledClock(speed=3))
    player.run()
    whole = mix_to_array(tl, espeak_clip)
    expected = np.concatenate([whole[ms_to_samples(s.start_ms):ms_to_samples(s.end_ms)] for s in player.segments])
    assert np.array_equal(read_capture(capture), np.round(expected * 0.5).astype(np.int16))


def bells_timeline() -> Timeline:
    """Bell, sentence, bell, sentence, bell: five steps apart."""
    say = ("Breathe in.", "Breathe out.")
    cues = [Cue(0, 1200, "tone", chapter="A", tone="bell")]
    t = 1500
    for text in say:
        cues.append(Cue(t, t + alsa_capture.clip_ms(text), "instruction", text, chapter="A"))
        t += alsa_capture.clip_ms(text) + 300
        cues.append(Cue(t, t + 1200, "tone", chapter="A", tone="bell"))
        cues.append(Cue(t, t + 1200, "pause", chapter="A"))
        t += 1500
    return Timeline("bells", "Bells", t, tuple(cues), (Chapter("A", 0, t),))


def test_pause_resume_and_next_change_what_is_captured(capture):
    """The null device swallows a buffer at once, so a stopped buffer is captured whole: what the test
    sees is the sequence of buffers handed over. A pause at 600 ms into the bell hands over the rest of
    the bell on resume; `n` in the first sentence skips to the next step (the bell after it)."""
    tl = bells_timeline()
    box: list[Player] = []
    actions = [(600, lambda: box[0].command("pause")), (900, lambda: box[0].command("resume"))]
    # `n` once the first sentence (the third buffer) has gone to the device, not at a clock time: a
    # loaded machine can hand it over late, and a skip at a fixed time would then land before it.
    def next_once_played(handle) -> None:
        def wait_then_skip() -> None:
            deadline = time.monotonic() + 30
            while handle.is_playing() and time.monotonic() < deadline:
                time.sleep(0.005)   # the null device takes a buffer in a few ms: waiting for that event
            box[0].command("next")
        threading.Thread(target=wait_then_skip, daemon=True).start()

    output = Recording(SimpleaudioOutput(), on_buffer={3: next_once_played})
    paused: list[float] = []
    box.append(Player(tl, espeak_clip, output, clock=ScaledClock(speed=2, actions=actions),
                      on_event=lambda e: paused.append(e.position_ms) if type(e).__name__ == "Paused" else None))
    assert box[0].run().ended == "completed"
    whole = mix_to_array(tl, espeak_clip)
    segs = box[0].segments

    def part(from_ms: float, seg) -> np.ndarray:
        return whole[ms_to_samples(int(from_ms)):ms_to_samples(seg.end_ms)]

    bufs = output.buffers
    assert np.array_equal(read_capture(capture), np.concatenate(bufs))   # what was handed over was played
    assert np.array_equal(bufs[0], part(0, segs[0]))
    # Resumed where it was paused: where the player says it paused (600 ms on the clock, or later when a
    # loaded machine wakes it late), give or take the few ms before the session's origin.
    assert len(paused) == 1 and 500 <= paused[0] < segs[0].end_ms   # the clock starts before the session
    resumed_from = ms_to_samples(segs[0].end_ms) - len(bufs[1])
    assert abs(resumed_from - ms_to_samples(paused[0])) <= ms_to_samples(100)
    assert np.array_equal(bufs[1], whole[resumed_from:ms_to_samples(segs[0].end_ms)])
    assert np.array_equal(bufs[2], part(segs[1].start_ms, segs[1]))     # "Breathe in." ...
    assert [len(b) for b in bufs[3:]] == [len(part(s.start_ms, s)) for s in segs[2:]]   # then the rest


def test_no_device_is_one_clean_line_and_exit_1(tmp_path):
    config = alsa_capture.write_no_device_config(tmp_path)
    env = subprocess_env(tmp_path, config)
    # The premise: with this config ALSA itself prints on stderr.
    raw = subprocess.run([sys.executable, "-c", "import simpleaudio as sa\ntry:\n sa.play_buffer(b'\\0\\0', 1, 2, 22050)\n"
                          "except Exception: pass"], env=env, capture_output=True, text=True, timeout=60)
    assert "ALSA lib" in raw.stderr
    for mode in ("play", "live"):
        result = subprocess.run([sys.executable, "-c", CLI_SCRIPT, mode, "child-pose", "--yes"], env=env,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 1
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and "ALSA lib" not in result.stderr
        assert lines[0].startswith("coach: no audio output device found")
        assert "coach export child-pose -o child-pose.mp3" in lines[0]


# -- the commands ---------------------------------------------------------------------------------------

def test_piped_play_prints_plain_captions_and_a_timing_line_per_cue(cli_env, tmp_path):
    log = tmp_path / "timing.jsonl"
    result = CliRunner().invoke(cli, ["play", "child-pose", "--yes", "--timing-log", str(log)])
    assert result.exit_code == 0, result.output
    tl = tiny_timeline()
    spoken = [c for c in tl.cues if c.text]
    assert result.output.splitlines() == [f"0:{c.start_ms / 1000:04.1f}  {c.text}" for c in spoken]
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["text"], e["kind"], e["scheduled_ms"]) for e in entries] == \
        [(c.text, c.kind, c.start_ms) for c in tl.cues if c.is_audible]
    assert all(0 <= e["late_ms"] < 250 for e in entries)
    assert len(read_capture(cli_env)) == sum(ms_to_samples(s.end_ms) - ms_to_samples(s.start_ms)
                                             for s in sound_segments(tl))
    assert history_outcomes(tmp_path) == [("play", "completed")]


def test_a_live_session_logs_every_cue_started(cli_env, tmp_path):
    log = tmp_path / "timing.jsonl"
    result = CliRunner().invoke(cli, ["live", "child-pose", "--yes", "--timing-log", str(log), "--volume", "0.7"])
    assert result.exit_code == 0, result.output
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    tl = tiny_timeline()
    assert [e["scheduled_ms"] for e in entries] == [c.start_ms for c in tl.cues if c.is_audible]
    assert all(set(e) >= {"text", "kind", "scheduled_ms", "actual_ms", "late_ms"} for e in entries)
    assert all(0 <= e["late_ms"] < 250 for e in entries)
    assert history_outcomes(tmp_path) == [("live", "completed")]


def test_play_and_live_help_show_an_example():
    for mode in ("play", "live"):
        result = CliRunner().invoke(cli, [mode, "--help"])
        assert result.exit_code == 0 and f"coach {mode} " in result.output and "Example" in result.output
        assert "--volume" in result.output and "--timing-log" in result.output


# -- a real terminal ------------------------------------------------------------------------------------

def start_on_a_terminal(tmp_path: Path, config: Path, *args: str, extra_env: dict | None = None):
    """The CLI (on the tiny session) on a pseudo-terminal, so ^C typed there is a SIGINT."""
    env = subprocess_env(tmp_path, config) | (extra_env or {})
    return terminal.start_on_a_terminal([sys.executable, "-c", CLI_SCRIPT, *args], env)


def test_ctrl_c_on_a_terminal_stops_the_sound_restores_the_terminal_and_exits_130(tmp_path):
    config, _ = write_capture_config(tmp_path)
    stop_log = tmp_path / "stops.txt"
    proc, master, slave = start_on_a_terminal(tmp_path, config, "play", "child-pose", "--yes",
                                              extra_env={"COACH_TEST_STOP_LOG": str(stop_log)})
    try:
        before = termios.tcgetattr(slave)
        read_until(master, r"0:00\.1  Tiny routine\.")                # its caption: it is being said
        assert not termios.tcgetattr(slave)[3] & termios.ICANON      # keys are read without Enter
        sent = time.monotonic()
        os.write(master, b"\x03")                                    # Ctrl-C, typed
        read_until(master, r"Slowly come out of the position")       # then the guided exit is spoken
        os.write(master, b"\x03")                                    # a second Ctrl-C skips the rest
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 130
        assert err.decode().strip() == "coach: stopped"
        stops = [float(x) - sent for x in stop_log.read_text().split() if float(x) >= sent]
        assert stops and stops[0] < 0.1                              # the sound was stopped at once
        assert termios.tcgetattr(slave) == before                    # and the terminal restored
        assert history_outcomes(tmp_path) == [("play", "interrupted")]
    finally:
        proc.kill()
        os.close(master)
        os.close(slave)


def test_q_on_a_terminal_quits_and_the_status_line_shows_the_session(tmp_path):
    config, raw = write_capture_config(tmp_path)
    proc, master, slave = start_on_a_terminal(tmp_path, config, "live", "child-pose", "--yes")
    try:
        seen = read_until(master, r"Lie on your back\.")
        os.write(master, b"q")
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0 and err == b""
        assert "space pause/resume" in seen and "left of 0:04" in seen and "\r\x1b[K" in seen
        assert history_outcomes(tmp_path) == [("live", "quit")]
    finally:
        proc.kill()
        os.close(master)
        os.close(slave)
