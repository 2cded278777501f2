"""Loudness: the meter agrees with pyloudnorm, real exports measure -16 LUFS with the true peak under
-1 dBTP (checked again by ffmpeg's own EBU R128 meter), --loudness picks another level, and what play
and live send to the sound device is as loud as the export."""

from __future__ import annotations

import math
import os
import re
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from alsa_capture import read_capture, write_capture_config
from coach.audio_format import SAMPLE_RATE
from coach.loudness import (
    DEFAULT_LUFS, MAX_LUFS, MIN_LUFS, SPEECH_CEILING_DBTP, TRUE_PEAK_DBTP, integrated_lufs, level_speech,
    true_peak_dbtp,
)
from support import decode_audio, private_env, run_coach, tiny_script


# -- the meter ------------------------------------------------------------------------------------

@pytest.mark.parametrize("seconds", [0.4, 0.75, 3.3, 61.0])
def test_integrated_loudness_is_pyloudnorms(seconds):
    import pyloudnorm

    rng = np.random.default_rng(int(seconds * 10))
    n = int(seconds * SAMPLE_RATE)
    # Speech-like: noise bursts with pauses, so both gates have work to do.
    x = rng.standard_normal(n) * 0.1 * (np.sin(np.arange(n) / SAMPLE_RATE * 2.7) > -0.2)
    assert integrated_lufs(x) == pytest.approx(pyloudnorm.Meter(SAMPLE_RATE).integrated_loudness(x), abs=1e-6)


def test_silence_measures_minus_infinity():
    assert integrated_lufs(np.zeros(SAMPLE_RATE, np.int16)) == -math.inf
    assert true_peak_dbtp(np.zeros(100, np.int16)) == -math.inf


def test_true_peak_finds_the_peak_between_samples():
    # A sine at a quarter of the rate, sampled 45 degrees off its crests: every sample is at 0.707 of
    # the wave's peak, so the sample peak reads -3 dB under the true one.
    n = np.arange(SAMPLE_RATE)
    fade = np.minimum(1.0, np.minimum(n, n[::-1]) / 2000)   # no step at the ends to ring on
    x = 0.5 * np.sin(2 * np.pi * n / 4 + np.pi / 4) * fade
    sample_peak_db = 20 * math.log10(np.max(np.abs(x)))
    assert sample_peak_db == pytest.approx(20 * math.log10(0.5) - 3.01, abs=0.05)
    assert true_peak_dbtp(x) == pytest.approx(20 * math.log10(0.5), abs=0.1)


def test_true_peak_of_a_long_signal_is_read_in_pieces_without_missing_one():
    x = np.zeros(3 * (1 << 18) + 17)
    x[(1 << 18) - 1] = 0.9          # on the seam between two pieces
    assert true_peak_dbtp(x) >= 20 * math.log10(0.9) - 0.01


def test_level_speech_reaches_the_target_under_the_ceiling_for_a_peaky_clip():
    rng = np.random.default_rng(3)
    clip = rng.standard_normal(SAMPLE_RATE * 2) * 800
    clip[::997] = 30000                                  # sparse spikes: a voice's plosives, exaggerated
    out = level_speech(np.round(clip).astype(np.int16), -16.0)
    assert true_peak_dbtp(out) <= SPEECH_CEILING_DBTP + 0.05
    silence = np.zeros(int(0.4 * SAMPLE_RATE), np.int16)
    in_context = integrated_lufs(np.concatenate([silence, out, silence]))
    assert -16.0 <= in_context <= -15.0                 # the clip sits a little over the session's level


# -- real exports ---------------------------------------------------------------------------------

def ffmpeg_r128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) from ffmpeg's ebur128 filter: a meter independent of ours."""
    out = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    summary = out[out.rindex("Summary:"):]
    lufs = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))
    return lufs, peak


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["espeak", "piper"])
def test_a_real_export_measures_minus_16_lufs_and_its_true_peak_is_under_minus_1(tmp_path, engine):
    out = tmp_path / "child-pose.mp3"
    result = run_coach("export", "child-pose", "-o", str(out), "--yes", "--engine", engine,
                       env=private_env(tmp_path))
    assert result.returncode == 0, result.stderr
    pcm = decode_audio(out)
    assert abs(integrated_lufs(pcm) - DEFAULT_LUFS) <= 1.0
    assert true_peak_dbtp(pcm) <= TRUE_PEAK_DBTP
    lufs, peak = ffmpeg_r128(out)
    assert abs(lufs - DEFAULT_LUFS) <= 1.0 and peak <= TRUE_PEAK_DBTP
    assert abs(lufs - integrated_lufs(pcm)) <= 0.3


@pytest.mark.slow
def test_export_loudness_picks_another_level(tmp_path):
    out = tmp_path / "quiet.wav"
    result = run_coach("export", "child-pose", "-o", str(out), "--yes", "--engine", "espeak",
                       "--loudness", "-23", env=private_env(tmp_path))
    assert result.returncode == 0, result.stderr
    pcm = decode_audio(out)
    assert abs(integrated_lufs(pcm) - (-23.0)) <= 1.0
    assert true_peak_dbtp(pcm) <= TRUE_PEAK_DBTP


def test_export_loudness_out_of_range_is_one_line_and_exit_2(tmp_path):
    result = run_coach("export", "child-pose", "-o", str(tmp_path / "x.mp3"), "--yes", "--loudness", "-9",
                       env=private_env(tmp_path))
    assert result.returncode == 2
    assert f"{MIN_LUFS:g}<=x<={MAX_LUFS:g}" in result.stderr.replace(".0", "")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.mp3").exists()


# -- play and live sound as loud as the export ------------------------------------------------------

@pytest.mark.slow
def test_play_and_live_reach_the_device_as_loud_as_the_export(tmp_path):
    script = tiny_script(tmp_path)
    config, raw = write_capture_config(tmp_path)
    env = {**private_env(tmp_path), "ALSA_CONFIG_PATH": str(config)}
    flags = ["--yes", "--engine", "espeak"]
    wav = tmp_path / "tiny.wav"
    exported = run_coach("export", str(script), "-o", str(wav), *flags, env=env)
    assert exported.returncode == 0, exported.stderr
    with wave.open(str(wav)) as w:
        export_lufs = integrated_lufs(np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16))
    assert abs(export_lufs - DEFAULT_LUFS) <= 1.0
    for mode in ("play", "live"):
        raw.unlink(missing_ok=True)
        played = run_coach(mode, str(script), *flags, env=env, stdin=subprocess.DEVNULL)
        assert played.returncode == 0, played.stderr
        captured = read_capture(raw)
        # The capture holds the sounds one after another (the null device keeps no silence between
        # them); BS.1770's gates leave silence out of the measure anyway.
        assert abs(integrated_lufs(captured) - export_lufs) <= 1.0, mode
        assert true_peak_dbtp(captured) <= TRUE_PEAK_DBTP, mode
    assert os.path.getsize(wav) > 0
