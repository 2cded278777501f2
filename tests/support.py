"""Helpers shared by the tests: the coach CLI in a child process, a private environment, decoding real
media with ffmpeg/ffprobe, and the tiny script the real-time session tests play."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from coach.audio_format import SAMPLE_RATE

COACH = [sys.executable, "-c", "from coach.cli import main; main()"]

# About 15 s at minimal verbosity: sessions run in real time.
TINY_SCRIPT = """\
format: 1
kind: exercise
name: tiny-stretch
title: Tiny stretch
description: A very short stretch for the tests.
focus: [lower-back]
equipment: [mat]
position: kneeling
setup_s: 0
contraindications: [{conditions}]
safety:
  say: Move slowly and stop if anything hurts.
  brief: Stop if it hurts.
steps:
  - say: Sit back towards your heels.
    brief: Sit back.
  - hold: {{seconds: 3, countdown: 0}}
"""


def tiny_script(folder: Path, conditions: str = "") -> Path:
    script = folder / "tiny-stretch.yaml"
    script.write_text(TINY_SCRIPT.format(conditions=conditions))
    return script


def private_env(folder: Path) -> dict[str, str]:
    """A cache, screening answers and history of the test's own (as conftest.py gives in-process tests)."""
    return {"COACH_CACHE_DIR": str(folder / "cache"), "COACH_CONFIG": str(folder / "config.json"),
            "COACH_HISTORY_DB": str(folder / "history.sqlite")}


def run_coach(*args: str, env: dict | None = None, cwd: Path | None = None, input_text: str | None = None,
              timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """`coach ARGS` in a child process, text output captured; env adds to (not replaces) os.environ.
    Other keyword arguments (stdin=subprocess.DEVNULL) go to subprocess.run."""
    return subprocess.run(COACH + list(args), capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=cwd, input=input_text, **kwargs)


def decode_audio(path: Path) -> np.ndarray:
    """Any file ffmpeg reads, as int16 mono samples at coach's rate."""
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(SAMPLE_RATE), "-"],
        capture_output=True, check=True,
    ).stdout
    return np.frombuffer(out, dtype="<i2")


def ffprobe_json(path: Path, *args: str) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", *args, "-of", "json", str(path)],
                         capture_output=True, check=True, text=True).stdout
    return json.loads(out)
