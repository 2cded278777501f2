"""Real sessions end to end: a real script, the real session layer, real espeak, real ALSA playback
captured to a file, a real SQLite history. No stand-ins: this is what a user on the floor gets.

The script is support.TINY_SCRIPT (about 15 s at minimal verbosity): sessions run in real time.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from alsa_capture import read_capture, write_capture_config
from support import COACH, run_coach, tiny_script
from terminal import read_until, start_on_a_terminal
from coach.audio_format import ms_to_samples
from coach.model import CompileOptions
from coach.player.segments import sound_segments
from coach.safety import GUIDED_EXIT, URGENT_SENTENCE, spoken_exit
from coach.library import resolve
from coach.session import VoiceChoice
from coach.session.prepare import preview_timeline

pytestmark = pytest.mark.slow

FLAGS = ["--yes", "--engine", "espeak", "--verbosity", "minimal"]


@pytest.fixture
def setup(tmp_path):
    script = tiny_script(tmp_path, conditions="knee-injury")
    config, raw = write_capture_config(tmp_path)
    env = dict(os.environ, ALSA_CONFIG_PATH=str(config), COACH_CACHE_DIR=str(tmp_path / "cache"),
               COACH_CONFIG=str(tmp_path / "screening.json"), COACH_HISTORY_DB=str(tmp_path / "history.sqlite"))
    return script, raw, env


def coach(env, *args, **kwargs):
    return run_coach(*args, env=env, timeout=120, **kwargs)


def timeline_of(script: Path, env: dict):
    """The same timeline the CLI plays: measured lengths from the same cache, the default hold sound."""
    return preview_timeline(resolve(str(script)), CompileOptions(verbosity="minimal", hold_sound="breath"),
                            VoiceChoice("espeak"),
                         Path(env["COACH_CACHE_DIR"]))


def outcomes(env) -> list[tuple[str, str | None]]:
    with sqlite3.connect(env["COACH_HISTORY_DB"]) as db:
        return db.execute("SELECT routine, outcome FROM sessions ORDER BY id").fetchall()


def test_play_sends_exactly_the_exported_audio_to_the_device(setup, tmp_path):
    script, raw, env = setup
    wav = tmp_path / "tiny.wav"
    exported = coach(env, "export", str(script), "-o", str(wav), *FLAGS)
    assert exported.returncode == 0, exported.stderr
    log = tmp_path / "timing.jsonl"
    played = coach(env, "play", str(script), *FLAGS, "--timing-log", str(log))
    assert played.returncode == 0, played.stderr

    import wave

    with wave.open(str(wav)) as w:
        mix = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    timeline = timeline_of(script, env)
    assert timeline.lengths_from == "audio"
    expected = np.concatenate([mix[ms_to_samples(s.start_ms): ms_to_samples(s.end_ms)]
                               for s in sound_segments(timeline)])
    captured = read_capture(raw)
    assert len(captured) == len(expected)
    assert np.array_equal(captured, expected)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["text"] for line in lines if line["text"]] == [c.text for c in timeline.speech]
    assert "Tiny stretch. About 1 minute." in played.stdout
    assert outcomes(env) == [("tiny-stretch", "completed")]


def test_a_live_session_starts_every_cue_and_warns_when_done_too_often(setup, tmp_path):
    script, raw, env = setup
    today = datetime.now().astimezone().isoformat(timespec="seconds")
    with sqlite3.connect(env["COACH_HISTORY_DB"]) as db:
        db.executescript("CREATE TABLE sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, routine TEXT NOT NULL, "
                         "mode TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, outcome TEXT, "
                         "pid INTEGER NOT NULL, host TEXT NOT NULL);")
        for _ in range(3):
            db.execute("INSERT INTO sessions (routine, mode, started_at, ended_at, outcome, pid, host) "
                       "VALUES ('tiny-stretch', 'play', ?, ?, 'completed', 1, 'x')", (today, today))
    log = tmp_path / "timing.jsonl"
    result = coach(env, "live", str(script), *FLAGS, "--timing-log", str(log))
    assert result.returncode == 0, result.stderr
    assert "You have already started this routine three times today" in result.stderr
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    texts = [line["text"] for line in lines if line["text"]]
    assert any(t.startswith("You have already started this routine three times today") for t in texts)
    assert texts[-1].startswith("That is the end")
    assert all(line["actual_ms"] is not None for line in lines)
    assert len(read_capture(raw)) > 0
    assert outcomes(env)[-1] == ("tiny-stretch", "completed")


def _on_a_terminal(env, *args):
    return start_on_a_terminal(COACH + list(args), env)


def _read_until(master: int, pattern: str) -> str:
    return read_until(master, pattern, timeout_s=60.0)


def test_the_safety_stop_key_stops_and_speaks_the_guided_exit(setup, tmp_path):
    script, raw, env = setup
    assert coach(env, "render", str(script), "--engine", "espeak", "--verbosity", "minimal").returncode == 0
    proc, master, slave = _on_a_terminal(env, "play", str(script), *FLAGS)
    try:
        _read_until(master, r"Tiny stretch\. About")
        os.write(master, b"s")
        seen = _read_until(master, re.escape(spoken_exit()[-1][:40]))
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        os.close(master)
        os.close(slave)
    assert proc.returncode == 0, err
    assert "Safety stop: coming out of the position." in seen
    for sentence in GUIDED_EXIT:
        assert sentence in seen
    assert URGENT_SENTENCE in seen
    assert outcomes(env) == [("tiny-stretch", "safety-stop")]
    # After the routine stopped, the device got the spoken exit, sentence by sentence, in order.
    from coach.cache import ClipCache
    from coach.mix import normalise_speech
    from coach.speech import get_voice

    cache, voice = ClipCache(Path(env["COACH_CACHE_DIR"])), get_voice("espeak")
    captured = read_capture(raw).astype(np.float64)
    where = []
    for sentence in spoken_exit():
        clip = normalise_speech(cache.get(voice, sentence)).astype(np.float64)
        at, corr = best_match(captured, clip)
        assert corr > 0.99, sentence
        where.append(at)
    assert where == sorted(where)
    # The whole last sentence, then at most the rest of its last millisecond: nothing cut, nothing more.
    assert 0 <= len(captured) - (where[-1] + len(clip)) <= 22


def best_match(signal: np.ndarray, clip: np.ndarray) -> tuple[int, float]:
    """Where `clip` best lines up in `signal` (FFT cross-correlation), and how well (Pearson r)."""
    size = 1 << int(np.ceil(np.log2(len(signal) + len(clip))))
    corr = np.fft.irfft(np.fft.rfft(signal, size) * np.conj(np.fft.rfft(clip, size)), size)[: len(signal) - len(clip) + 1]
    at = int(np.argmax(corr))
    return at, float(np.corrcoef(signal[at: at + len(clip)], clip)[0, 1])


def test_a_killed_session_shows_as_interrupted_in_history(setup):
    script, raw, env = setup
    proc = subprocess.Popen(COACH + ["play", str(script), *FLAGS], stdout=subprocess.PIPE, text=True, env=env)
    try:
        for line in proc.stdout:
            if "Tiny stretch. About" in line:
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
    shown = json.loads(coach(env, "history", "--json").stdout)
    assert [(r["routine"], r["outcome"]) for r in shown] == [("tiny-stretch", "interrupted")]


def test_screening_asks_once_on_a_terminal_remembers_and_resets(setup, tmp_path):
    script, raw, env = setup
    out = tmp_path / "x.wav"
    proc, master, slave = _on_a_terminal(env, "export", str(script), "-o", str(out), "--engine", "espeak")
    try:
        _read_until(master, r"forgets them")   # (the prompt itself goes to stderr, as input() does)
        os.write(master, b"1\n")
        _, err = proc.communicate(timeout=60)
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == 2 and "not advised with a knee injury" in err.decode()
    again = coach(env, "export", str(script), "-o", str(out), "--engine", "espeak", stdin=subprocess.DEVNULL)
    assert again.returncode == 2 and "not advised with a knee injury" in again.stderr   # remembered, not asked
    assert coach(env, "screening", "--reset").returncode == 0
    refused = coach(env, "export", str(script), "-o", str(out), "--engine", "espeak", stdin=subprocess.DEVNULL)
    assert refused.returncode == 2 and "no terminal to answer on" in refused.stderr    # never hangs
    proc, master, slave = _on_a_terminal(env, "export", str(script), "-o", str(out), "--engine", "espeak")
    try:
        _read_until(master, r"forgets them")
        os.write(master, b"\n")
        _, err = proc.communicate(timeout=120)
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == 0, err
    assert out.exists()
    assert json.loads(Path(env["COACH_CONFIG"]).read_text())["conditions"] == {"knee-injury": False}
