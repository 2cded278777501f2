"""SIGTERM (a service manager, `timeout 8 coach play ...`) ends a real session at once: no guided exit
(nobody on the mat asked to stop), the history row finished as "terminated", the terminal restored,
exit code 143. Real `coach play` / `coach live` processes, real espeak renders, ALSA capture."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import termios

import pytest
import terminal
from alsa_capture import SAMPLE_RATE, read_capture, write_capture_config
from support import COACH, private_env, tiny_script

pytestmark = pytest.mark.slow

FLAGS = ["--yes", "--engine", "espeak", "--verbosity", "minimal"]
EXIT_BOUND_S = 10     # the guided exit alone takes far longer (about 30 s from kneeling)
AFTER_SIGNAL_MAX_S = 3.0   # what may still reach the capture file: the sound already handed to ALSA


def history_rows(folder):
    with sqlite3.connect(folder / "history.sqlite") as conn:
        return conn.execute("SELECT routine, mode, ended_at IS NOT NULL, outcome FROM sessions").fetchall()


def test_sigterm_during_play_ends_at_once_recorded_with_the_terminal_restored(tmp_path):
    config, raw = write_capture_config(tmp_path)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(config), **private_env(tmp_path))
    proc, master, slave = terminal.start_on_a_terminal(COACH + ["play", str(tiny_script(tmp_path)), *FLAGS], env)
    try:
        before = termios.tcgetattr(slave)
        shown = terminal.read_until(master, r"Tiny stretch \|", timeout_s=120)   # the session is playing
        assert not termios.tcgetattr(slave)[3] & termios.ICANON                  # keys read raw meanwhile
        captured_at_signal = len(read_capture(raw))
        assert captured_at_signal > 0
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=EXIT_BOUND_S)
        restored = termios.tcgetattr(slave) == before
        err = proc.stderr.read().decode()
        rest = _drain(master)
    finally:
        proc.kill()
        os.close(master)
        os.close(slave)
    assert proc.returncode == 143, err
    assert err == "coach: terminated (SIGTERM); the session is recorded as terminated\n"
    assert restored
    assert "Stopping." not in shown + rest
    assert "come out of the position" not in shown + rest
    after = len(read_capture(raw)) - captured_at_signal
    assert after < AFTER_SIGNAL_MAX_S * SAMPLE_RATE, f"{after / SAMPLE_RATE:.1f} s played after SIGTERM"
    assert history_rows(tmp_path) == [("tiny-stretch", "play", 1, "terminated")]


def test_sigterm_during_live_ends_at_once_and_is_recorded(tmp_path):
    config, raw = write_capture_config(tmp_path)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(config), **private_env(tmp_path))
    proc = subprocess.Popen(COACH + ["live", str(tiny_script(tmp_path)), *FLAGS, "--timing-log", str(tmp_path / "t.log")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        shown = []
        for line in proc.stdout:
            shown.append(line)
            if "Tiny stretch." in line:    # its first sentence is being said
                break
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=EXIT_BOUND_S)
        rest, err = proc.communicate(timeout=EXIT_BOUND_S)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert "Stopping." not in "".join(shown) + rest
    assert history_rows(tmp_path) == [("tiny-stretch", "live", 1, "terminated")]


def test_a_person_s_stop_still_gets_the_guided_exit_and_130(tmp_path):
    """Ctrl-C (SIGINT) is a person asking: the guided exit is spoken; a second one skips the rest."""
    config, _ = write_capture_config(tmp_path)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(config), **private_env(tmp_path))
    # A child of a non-interactive shell may inherit SIGINT ignored; a person's terminal never does.
    proc = subprocess.Popen(COACH + ["play", str(tiny_script(tmp_path)), *FLAGS], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in proc.stdout:
            if "Tiny stretch." in line:
                break
        proc.send_signal(signal.SIGINT)
        for line in proc.stdout:
            if "Stopping." in line:
                break
        else:
            raise AssertionError("no guided exit")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert history_rows(tmp_path) == [("tiny-stretch", "play", 1, "interrupted")]


def _drain(master: int) -> str:
    import select

    seen = b""
    while select.select([master], [], [], 0)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    return seen.decode(errors="replace")
