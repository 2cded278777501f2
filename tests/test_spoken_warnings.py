"""Warnings for someone on the floor are said as well as printed: the daily limit, and voice commands
that cannot be used. Real CLI processes, espeak, real ALSA playback captured to a file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from alsa_capture import read_capture
from coach.session.listening import SPOKEN_NO_MICROPHONE
from coach.speech import get_voice
from support import private_env, run_coach, tiny_script

pytestmark = pytest.mark.slow

# Playback appends to a raw file; capture (the microphone) cannot be opened.
NO_MICROPHONE = """pcm.!default {{
    type asym
    playback.pcm {{ type file; slave.pcm {{ type null }}; file "| cat >> {raw}"; format "raw" }}
    capture.pcm {{ type hw; card "nosuchcard" }}
}}
"""


def session(tmp_path: Path, *args: str):
    config, raw = tmp_path / "asound.conf", tmp_path / "played.raw"
    config.write_text(NO_MICROPHONE.format(raw=raw))
    raw.unlink(missing_ok=True)
    log = tmp_path / "timing.jsonl"
    env = {**private_env(tmp_path), "ALSA_CONFIG_PATH": str(config)}
    result = run_coach("play", str(tiny_script(tmp_path)), "--yes", "--verbosity", "minimal", "--engine", "espeak",
                       "--timing-log", str(log), *args, env=env, timeout=180)
    assert result.returncode == 0, result.stderr
    return result, [json.loads(line) for line in log.read_text().splitlines()], read_capture(raw)


def test_the_daily_limit_is_printed_and_spoken(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"conditions": {}, "daily_limit": 1}))
    first, first_log, _ = session(tmp_path)
    assert "already started" not in first.stdout + first.stderr
    second, log, _ = session(tmp_path)
    printed = [line for line in second.stderr.splitlines() if "already started this routine once" in line]
    assert len(printed) == 1 and printed[0].startswith("coach: "), second.stderr
    spoken = [e for e in log if "already started this routine once today" in e["text"]]
    assert len(spoken) == 1 and spoken[0]["kind"] == "safety"
    assert spoken[0]["scheduled_ms"] < next(e["scheduled_ms"] for e in log if e["kind"] == "announce")


def test_no_microphone_is_printed_once_and_said_before_the_session_starts(tmp_path):
    result, log, played = session(tmp_path, "--listen")
    assert len([line for line in result.stderr.splitlines() if "microphone" in line]) == 1, result.stderr
    said = get_voice("espeak").render(SPOKEN_NO_MICROPHONE)
    assert len(played) > len(said)
    assert np.array_equal(played[:len(said)], said)   # the first sound the device got
    assert any(e["kind"] == "outro" for e in log)     # and the session played on
