"""A planned routine, end to end: `coach plan --save`, then `coach play --plan` with real espeak, real ALSA playback
captured to a file and a real SQLite history; the device gets exactly the exported audio, and the
history records what the plan did."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pytest

from alsa_capture import read_capture, write_capture_config
from coach.audio_format import ms_to_samples
from coach.history import History
from coach.library import resolve
from coach.model import CompileOptions
from coach.player.segments import sound_segments
from coach.session import VoiceChoice
from coach.session.prepare import preview_timeline
from support import run_coach

pytestmark = pytest.mark.slow

SESSION = ["--engine", "espeak", "--verbosity", "minimal", "--hold-scale", "0.25"]


def test_a_planned_routine_plays_end_to_end_and_is_recorded(tmp_path):
    config, raw = write_capture_config(tmp_path)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(config), COACH_CACHE_DIR=str(tmp_path / "cache"),
               COACH_CONFIG=str(tmp_path / "config.json"), COACH_HISTORY_DB=str(tmp_path / "history.sqlite"))
    plan = ["plan", "--minutes", "3", "--place", "desk", "--seed", "1"]
    made = run_coach(*plan, "--save", "quick", env=env)
    saved = tmp_path / "routines" / "quick.yaml"
    assert made.returncode == 0 and f"Saved as {saved}" in made.stdout, made.stderr
    # Exported first, as in test_sessions_e2e: the session then plays from a warm cache.
    wav = tmp_path / "quick.wav"
    exported = run_coach("export", "quick", "-o", str(wav), "--yes", *SESSION, env=env, timeout=600)
    assert exported.returncode == 0, exported.stderr
    # The same plan again (same seed, no history yet), played at once.
    played = run_coach("play", "--plan", "3 desk seed=1", "--yes", *SESSION, env=env, timeout=600)
    assert played.returncode == 0, played.stderr
    assert "That is the end. Well done." in played.stdout
    summary = made.stdout.splitlines()[:-2]   # without the hint and the "Saved as" lines
    assert played.stdout.splitlines()[:len(summary)] == summary   # the plan it plays is shown first
    with wave.open(str(wav)) as w:
        mix = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    options = CompileOptions(verbosity="minimal", hold_scale=0.25)
    routine = resolve(str(saved))
    timeline = preview_timeline(routine, options, VoiceChoice("espeak"), Path(env["COACH_CACHE_DIR"]))
    assert timeline.lengths_from == "audio"
    expected = np.concatenate([mix[ms_to_samples(s.start_ms): ms_to_samples(s.end_ms)]
                               for s in sound_segments(timeline)])
    captured = read_capture(raw)
    assert len(captured) == len(expected) and np.array_equal(captured, expected)
    (row,) = History(Path(env["COACH_HISTORY_DB"])).rows()
    assert (row.routine, row.outcome) == ("planned-routine", "completed")
    assert [d.name for d in row.exercises] == [e.name for e in routine.exercises]
    assert row.reached == len(routine.exercises) - 1 and row.ended_in == routine.exercises[-1].name
    assert dict(row.options) == {"verbosity": "minimal", "hold_scale": 0.25, "breath_scale": 1.0}


@pytest.mark.parametrize("command", [["play", "--plan", "3 desk seed=1"],
                                     ["plan", "--minutes", "3", "--place", "desk", "--seed", "1", "--play"]])
def test_a_plan_played_where_there_is_no_sound_device_says_how_to_export_it(tmp_path, command):
    from alsa_capture import write_no_device_config

    env = dict(os.environ, ALSA_CONFIG_PATH=str(write_no_device_config(tmp_path)),
               COACH_CONFIG=str(tmp_path / "config.json"), COACH_HISTORY_DB=str(tmp_path / "history.sqlite"))
    result = run_coach(*command, "--yes", "--engine", "espeak", env=env, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "no audio output device" in result.stderr.lower(), result.stderr
    if command[0] == "play":   # the plan's own command line, to save it and export it
        assert "coach plan --minutes 3 --place desk --seed 1 --save my-plan; coach export my-plan" in result.stderr


def test_the_end_of_a_session_on_a_terminal_asks_how_it_was_once_and_records_it(tmp_path):
    from support import COACH, tiny_script
    from terminal import read_until, start_on_a_terminal

    script = tiny_script(tmp_path)
    config, _ = write_capture_config(tmp_path)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(config), COACH_CACHE_DIR=str(tmp_path / "cache"),
               COACH_CONFIG=str(tmp_path / "config.json"), COACH_HISTORY_DB=str(tmp_path / "history.sqlite"))
    proc, master, slave = start_on_a_terminal(COACH + ["play", str(script), "--yes", "--engine", "espeak",
                                                       "--verbosity", "minimal"], env)
    try:
        read_until(master, r"How was that: easier, right, or harder\?", timeout_s=120.0)
        os.write(master, b"h\n")
        proc.communicate(timeout=30)
    finally:
        proc.kill()
        os.close(master)
        os.close(slave)
    assert proc.returncode == 0
    (row,) = History(Path(env["COACH_HISTORY_DB"])).rows()
    assert (row.routine, row.outcome, row.rating) == ("tiny-stretch", "completed", "harder")
