"""`coach listen` on a real capture device (ALSA's file plugin): a level meter on a terminal, and a
microphone that gives nothing but digital silence is said, not listened to for ever."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
import uuid

import numpy as np
import pytest

from coach.listen.meter import SILENCE_WARNING_S, LevelMeter
from coach.listen.microphone import FRAME_BYTES
from fifo_mic import CONFIG
from support import COACH, run_coach

# A microphone that reads a plain file: the pipe's config, with a file in the pipe's place.
MIC_CONFIG = CONFIG.replace("{played}", "/dev/null").replace("{fifo}", "{infile}")


def _frame(samples: np.ndarray) -> bytes:
    return samples.astype("<i2").tobytes()


def test_digital_silence_is_counted_and_a_quiet_room_is_not():
    meter = LevelMeter()
    zeros = _frame(np.zeros(FRAME_BYTES // 2))
    for _ in range(int(SILENCE_WARNING_S / 0.03) + 1):
        meter.push(zeros)
    assert meter.silent_s >= SILENCE_WARNING_S and not meter.heard_sound
    assert "silent" in meter.bar()
    hiss = _frame(np.random.default_rng(1).standard_normal(FRAME_BYTES // 2) * 20)   # about -64 dBFS
    meter.push(hiss)
    assert meter.silent_s == 0 and meter.heard_sound


def test_the_bar_follows_the_level_and_holds_the_peak():
    meter = LevelMeter()
    t = np.arange(FRAME_BYTES // 2) / 16_000
    meter.push(_frame(np.sin(2 * np.pi * 440 * t) * 32767 * 10 ** (-6 / 20)))    # about -9 dBFS RMS
    loud = meter.bar(30)
    meter.push(_frame(np.sin(2 * np.pi * 440 * t) * 32767 * 10 ** (-40 / 20)))   # about -43 dBFS
    quiet = meter.bar(30)
    assert loud.count("#") > quiet.count("#") > 0
    assert "|" in quiet   # the loud frame's peak is still shown
    assert "-9 dBFS" in loud and "-43 dBFS" in quiet


def _listen(tmp_path, samples: np.ndarray, seconds: float):
    infile = tmp_path / "mic.raw"
    infile.write_bytes(samples.astype("<i2").tobytes())
    config = tmp_path / "mic.conf"
    config.write_text(MIC_CONFIG.format(infile=infile))
    # The grammar recognizer: this is about the microphone, not about what is understood.
    return run_coach("listen", "--seconds", str(seconds), "--recognizer", "pocketsphinx",
                     env={"ALSA_CONFIG_PATH": str(config)}, timeout=120)


@pytest.mark.slow
def test_a_silent_capture_device_is_said_and_fails_the_check(tmp_path):
    # Longer than the check: ALSA's file plugin replays stale audio past the end of its infile.
    result = _listen(tmp_path, np.zeros(16_000 * 20), seconds=SILENCE_WARNING_S + 2)
    assert result.returncode == 1, result.stderr
    assert "no sound from the microphone (default)" in result.stderr
    assert "gave nothing but silence" in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_quiet_room_is_listened_to_without_a_warning(tmp_path):
    room = np.random.default_rng(2).standard_normal(16_000 * 20) * 30
    result = _listen(tmp_path, room, seconds=SILENCE_WARNING_S + 2)
    assert result.returncode == 0, result.stderr
    assert "no sound from the microphone" not in result.stderr


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_on_a_terminal_a_level_meter_is_shown(tmp_path):
    infile = tmp_path / "mic.raw"
    infile.write_bytes((np.random.default_rng(3).standard_normal(16_000 * 60) * 300).astype("<i2").tobytes())
    config = tmp_path / "mic.conf"
    config.write_text(MIC_CONFIG.format(infile=infile))
    command = " ".join(shlex.quote(a) for a in COACH + ["listen", "--seconds", "30", "--recognizer", "pocketsphinx"])
    env = f"ALSA_CONFIG_PATH={shlex.quote(str(config))} PYTHONPATH={shlex.quote(os.environ.get('PYTHONPATH', ''))}"
    name = f"coach-meter-{uuid.uuid4().hex[:8]}"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "10", f"env {env} {command}"],
                   check=True, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        screen = ""
        while time.monotonic() < deadline and not re.search(r"level \[[#|.]+\] +-\d+ dBFS", screen):
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True,
                                    text=True).stdout
            time.sleep(0.1)   # polling the screen; the loop ends on what it shows
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    assert re.search(r"level \[#{8,11}\|?\.+\] +-4[0-2] dBFS", screen), screen   # noise at about -41 dBFS RMS; | the held peak
