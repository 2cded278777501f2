"""Media keys and headset buttons (coach.player.mpris): a private D-Bus session bus, real dbus-send
calls as a desktop or `playerctl` would make, and a real `coach play` session obeying them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from alsa_capture import write_capture_config
from coach.player.events import Ended, Paused, Resumed, SessionResult, Started, StepChanged
from coach.player.mpris import BUS_NAME, MediaKeys
from coach.player.segments import PlayerStep
from coach.safety import URGENT_SENTENCE
from support import COACH, tiny_script

pytestmark = pytest.mark.slow


@pytest.fixture
def session_bus(tmp_path):
    """A dbus-daemon of the test's own: its address, as DBUS_SESSION_BUS_ADDRESS would hold it."""
    proc = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1",
                             f"--address=unix:path={tmp_path / 'bus'}"], stdout=subprocess.PIPE, text=True,
                            stderr=subprocess.DEVNULL)   # (it warns that it cannot raise its fd limit)
    assert proc.stdout is not None
    address = proc.stdout.readline().strip()
    yield address
    proc.terminate()
    proc.wait(timeout=5)


def dbus(address: str, method: str, *args: str, dest: str = BUS_NAME, path: str = "/org/mpris/MediaPlayer2") -> str:
    out = subprocess.run(["dbus-send", "--print-reply", f"--bus={address}", f"--dest={dest}", path, method, *args],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, out.stderr
    return out.stdout


def prop(address: str, name: str) -> str:
    return dbus(address, "org.freedesktop.DBus.Properties.Get", "string:org.mpris.MediaPlayer2.Player", f"string:{name}")


def wait_for(predicate, timeout_s: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


STEP = PlayerStep(3, 10_000, 40_000, "hold", "Hold", "Child's pose")


def test_every_mpris_method_reaches_the_player_and_the_metadata_follows_the_session(session_bus, monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)
    heard: list[str] = []
    with MediaKeys(heard.append) as keys:
        assert keys.active and keys.bus_name == BUS_NAME
        keys.on_event(Started("Morning back", 600_000, (STEP,)))
        keys.on_event(StepChanged(STEP, None, 10_000))
        for method in ("PlayPause", "Pause", "Play", "Next", "Previous", "Stop"):
            dbus(session_bus, f"org.mpris.MediaPlayer2.Player.{method}")
        dbus(session_bus, "org.mpris.MediaPlayer2.Quit")
        wait_for(lambda: len(heard) == 7, 5, "the commands")
        assert heard == ["toggle-pause", "pause", "resume", "next", "repeat", "safety-stop", "quit"]
        metadata = prop(session_bus, "Metadata")
        assert '"Child\'s pose"' in metadata and '"Morning back"' in metadata and '"Hold"' in metadata
        assert "600000000" in metadata    # mpris:length in microseconds
        assert '"Playing"' in prop(session_bus, "PlaybackStatus")
        keys.on_event(Paused(12_000))
        assert '"Paused"' in prop(session_bus, "PlaybackStatus")
        assert "int64 12000000" in prop(session_bus, "Position")
        keys.on_event(Resumed(12_000))
        keys.on_event(Ended(SessionResult("completed", 600_000, 600_000, 0.1, ())))
        assert '"Stopped"' in prop(session_bus, "PlaybackStatus")
        introspection = dbus(session_bus, "org.freedesktop.DBus.Introspectable.Introspect")
        assert 'method name="PlayPause"' in introspection and 'property name="Metadata"' in introspection
        # A second coach on the same bus gets a name of its own (MPRIS's ".instance" rule).
        with MediaKeys(heard.append) as second:
            assert second.bus_name == f"{BUS_NAME}.instance{os.getpid()}"
    owners = dbus(session_bus, "org.freedesktop.DBus.ListNames", dest="org.freedesktop.DBus", path="/org/freedesktop/DBus")
    assert BUS_NAME not in owners   # released when the session ends


def test_no_session_bus_means_silently_off(monkeypatch, tmp_path):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with MediaKeys(lambda name: None) as keys:
        assert not keys.active
        keys.on_event(Started("x", 1000, ()))     # events are still fine
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-such-bus'}")
    with MediaKeys(lambda name: None) as keys:
        assert not keys.active


def test_a_real_session_pauses_resumes_and_safety_stops_from_media_keys(session_bus, tmp_path):
    script = tiny_script(tmp_path)
    config, _raw = write_capture_config(tmp_path)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(config), COACH_CACHE_DIR=str(tmp_path / "cache"),
               COACH_CONFIG=str(tmp_path / "screening.json"), COACH_HISTORY_DB=str(tmp_path / "history.sqlite"),
               DBUS_SESSION_BUS_ADDRESS=session_bus)
    # Render first, so the session below starts at once and runs its measured timeline.
    subprocess.run(COACH + ["render", str(script), "--engine", "espeak", "--verbosity", "minimal"], env=env,
                   check=True, capture_output=True, timeout=120)
    proc = subprocess.Popen(COACH + ["play", str(script), "--yes", "--engine", "espeak", "--verbosity", "minimal"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def status() -> str:
            try:
                return prop(session_bus, "PlaybackStatus")
            except AssertionError:
                return ""   # not registered yet

        wait_for(lambda: '"Playing"' in status(), 30, "coach on the bus, playing")
        assert '"Tiny stretch"' in prop(session_bus, "Metadata")
        sent = time.monotonic()
        dbus(session_bus, "org.mpris.MediaPlayer2.Player.Pause")
        wait_for(lambda: '"Paused"' in status(), 5, "the pause")
        pause_ms = (time.monotonic() - sent) * 1000
        dbus(session_bus, "org.mpris.MediaPlayer2.Player.PlayPause")
        wait_for(lambda: '"Playing"' in status(), 5, "the resume")
        dbus(session_bus, "org.mpris.MediaPlayer2.Player.Stop")      # the headset's stop: the safety stop
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert "Safety stop: coming out of the position." in out, (out, err)
    assert URGENT_SENTENCE in out      # the guided exit was spoken, urgent signs included
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        assert db.execute("SELECT outcome FROM sessions").fetchall() == [("safety-stop",)]
    assert pause_ms < 1000, pause_ms   # loose: a D-Bus round trip plus the player's reaction
    print(json.dumps({"media_key_pause_ms": round(pause_ms, 1)}))
