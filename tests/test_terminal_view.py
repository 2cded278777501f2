"""The session's view in a real terminal (tmux) at the widths people use: captions wrapped on words,
the status line whole."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
import uuid

import pytest

from alsa_capture import write_capture_config
from support import COACH

pytestmark = pytest.mark.slow

LONG_SENTENCE = ("Stop at once if you feel sharp pain, or numbness or tingling that spreads into your legs, "
                 "and come out of the position slowly.")
SCRIPT = f"""\
format: 1
kind: exercise
name: wide-view
title: Foam-roller thoracic extension with a long name
description: For the terminal view test.
focus: [upper-back]
equipment: [mat]
position: lying-back
setup_s: 0
contraindications: []
safety:
  say: {LONG_SENTENCE}
steps:
  - say: Rest your head in your hands and let your upper back soften over the roller.
  - hold: {{seconds: 8, countdown: 0}}
"""


_EXITED = "coach-exited"


def _pane(name: str) -> list[str]:
    out = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True, check=True)
    return out.stdout.rstrip("\n").split("\n")


def _wait_for(name: str, pattern: str, timeout_s: float = 90.0) -> list[str]:
    """The pane once `pattern` shows in its last non-empty line (the status line)."""
    deadline = time.monotonic() + timeout_s
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = _pane(name)
        shown = [line for line in lines if line.strip()]
        if shown and re.search(pattern, shown[-1]):
            return lines
        if any(_EXITED in line for line in lines):
            break
        time.sleep(0.1)   # polling the pane, not waiting for the session: the loop ends on the event
    raise AssertionError(f"never saw {pattern!r} in the status line; the pane was:\n" + "\n".join(lines))


@pytest.mark.skipif(subprocess.run(["which", "tmux"], capture_output=True).returncode != 0, reason="needs tmux")
@pytest.mark.parametrize("columns", [60, 80, 120])
def test_the_view_fits_a_real_terminal(tmp_path, columns):
    script = tmp_path / "wide-view.yaml"
    script.write_text(SCRIPT)
    config, _raw = write_capture_config(tmp_path)
    env = {"ALSA_CONFIG_PATH": str(config), "COACH_CACHE_DIR": str(tmp_path / "cache"),
           "COACH_CONFIG": str(tmp_path / "config.json"), "COACH_HISTORY_DB": str(tmp_path / "history.sqlite"),
           "PYTHONPATH": os.environ.get("PYTHONPATH", ""), "TERM": "xterm-256color"}
    command = " ".join(shlex.quote(a) for a in COACH + ["play", str(script), "--yes", "--engine", "espeak"])
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    name = f"coach-view-{uuid.uuid4().hex[:8]}"
    # The shell stays (sleep) so the last screen can still be read; the marker says coach has ended.
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(columns), "-y", "40",
                    f"env {exports} {command}; echo {_EXITED}; sleep 600"], check=True, cwd=tmp_path)
    try:
        lines = _wait_for(name, r"[Hh]old:? \d:\d\d")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    shown = [line.rstrip() for line in lines if line.strip()]
    status = shown[-1]
    assert len(status) < columns
    assert not status.endswith("~"), status
    assert re.search(r"\d+:\d\d left", status), status
    # Every caption is whole once its lines are joined: no word was split at the edge.
    joined = re.sub(r"\s+", " ", " ".join(shown[:-1]))
    assert LONG_SENTENCE in joined
    assert "let your upper back soften over the roller." in joined
    for line in shown:
        assert len(line) < columns, line
