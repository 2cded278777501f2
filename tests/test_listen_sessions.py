"""Voice commands in real `coach play --listen` sessions with the Whisper recognizer: the microphone is
ALSA's file plugin reading a named pipe (tests/fifo_mic.py) that the test fills as the session's timing
log shows it reaching each moment. And `coach listen --file` on built recordings."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest

from fifo_mic import LONG_HOLD, FifoMicrophone, Script, all_of, cue_started, log_has
from support import COACH, private_env, run_coach
from tools.listen_eval import render_16k

pytestmark = pytest.mark.slow

# At minimal verbosity the 30 s hold follows that cue; and a command can be heard once the recognizers
# have loaded (the timing log says "listening"), which on a loaded machine can be later than the cue.
HOLD_STARTS = all_of(cue_started("Get ready, kneeling."), log_has("listening"))


@pytest.fixture(scope="module")
def whisper_dir(tmp_path_factory) -> Path:
    from coach.listen import whisper_model

    return whisper_model.ensure(tmp_path_factory.mktemp("whisper") / "whisper-base")


def say(*texts: str, engine: str = "piper") -> list[np.ndarray]:
    return render_16k(engine, list(texts))


def listening_session(tmp_path: Path, script: Script, whisper_dir: Path, *args: str):
    """The session's result, its timing log, which script steps were said, and the microphone (its
    .seen: each log entry with when it appeared)."""
    yaml = tmp_path / "long-hold.yaml"
    yaml.write_text(LONG_HOLD)
    log = tmp_path / "timing.jsonl"
    with FifoMicrophone(tmp_path, script, log) as mic:
        env = {**private_env(tmp_path), "ALSA_CONFIG_PATH": str(mic.config), "COACH_WHISPER_MODEL": str(whisper_dir)}
        result = run_coach("play", str(yaml), "--listen", "--yes", "--verbosity", "minimal", "--engine", "espeak",
                           "--timing-log", str(log), *args, env=env, timeout=240, stdin=subprocess.DEVNULL)
    entries = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    assert mic.error is None, mic.error
    return result, entries, mic.said, mic


def test_a_session_obeys_pause_continue_how_long_and_next_and_hears_the_rating(tmp_path, whisper_dir):
    pause, resume, how_long, skip, harder = say("Pause.", "Continue.", "How long?", "Next.", "Harder.")
    script = (Script().say(pause, 3.0, HOLD_STARTS).say(resume, 2.5).say(how_long, 2.0)
              .say(skip, 6.0, log_has("heard", 3))     # once the answer to "how long" (about 4 s) is over
              .say(harder, 0.5, log_has("awaiting")))  # once "How was that?" is said
    result, log, said, mic = listening_session(tmp_path, script, whisper_dir)
    assert result.returncode == 0, result.stderr
    assert said == [0, 1, 2, 3, 4]
    assert "grammar recognizer" not in result.stderr          # Whisper was there, and used
    heard = [e for e in log if "heard" in e]
    assert [e["command"] for e in heard] == ["pause", "resume", "time-left", "next", "harder"], result.stdout
    # the question, then the answer acknowledged out loud, and recorded for the progression
    assert [e["text"] for e in log if e.get("text", "").startswith(("How was that", "Noted"))] == [
        "How was that: easier, right, or harder?", "Noted: harder. Thank you."]
    assert "Rated: harder." in result.stdout
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        assert db.execute("SELECT outcome, rating FROM sessions").fetchall() == [("completed", "harder")]
    assert {e["recognizer"] for e in heard} == {"whisper"}
    hold_start = next(e for e in log if e.get("text") == "Get ready, kneeling.")["actual_ms"]
    assert heard[0]["position_ms"] > hold_start + 3_000          # obeyed where it was said, not before
    assert heard[1]["position_ms"] - heard[0]["position_ms"] < 500   # paused: the session did not move on
    assert "heard: pause" in result.stdout and "heard: how long (time-left)" in result.stdout
    # "next" skipped the rest of the hold: the last words came in less than half the time the hold had left
    seen_next = next(t for t, e in mic.seen if e.get("heard") == "next")
    seen_outro, outro = next((t, e) for t, e in mic.seen if e.get("kind") == "outro")
    hold_left_s = (outro["scheduled_ms"] - heard[3]["position_ms"]) / 1000
    assert hold_left_s > 5 and seen_outro - seen_next < hold_left_s / 2, (hold_left_s, seen_outro - seen_next)


def test_stop_said_in_a_hold_is_a_provisional_stop_then_the_safety_stop(tmp_path, whisper_dir):
    (stop,) = say("Stop.")
    result, log, said, _mic = listening_session(tmp_path, Script().say(stop, 3.0, HOLD_STARTS), whisper_dir)
    assert said == [0]
    assert result.returncode == 0, result.stderr
    assert "Safety stop" in result.stdout
    with sqlite3.connect(tmp_path / "history.sqlite") as db:
        assert db.execute("SELECT outcome FROM sessions").fetchall() == [("safety-stop",)]
    events = [(k, e["command"]) for e in log for k in ("provisional", "withdrawn", "heard") if k in e]
    assert events == [("provisional", "safety-stop"), ("heard", "safety-stop")]
    provisional = next(e for e in log if "provisional" in e)
    assert provisional["recognizer"] == "whisper"


def test_a_remark_the_grammar_takes_for_stop_is_withdrawn_and_talk_is_ignored(tmp_path, whisper_dir):
    """"Stop it." is "stop" to the grammar (the sound stops at once) but not to Whisper: the session
    resumes and completes. Then a stream of talk, as from a TV, with command words inside: nothing."""
    stop_it, *talk = say("Stop it.", "Then he said we should stop and help them, so we did.",
                         "Pause the film for a moment, would you?", "No.", "Skip the ads and go to the next one.")
    script = Script().say(stop_it, 3.0, HOLD_STARTS)
    for line in talk:
        script.say(line, 0.7)
    result, log, said, _mic = listening_session(tmp_path, script, whisper_dir)
    assert said == list(range(len(talk) + 1))
    assert result.returncode == 0, result.stderr
    events = [(k, e) for e in log for k in ("provisional", "withdrawn", "heard") if k in e]
    # the grammar may take a word of the talk for "help" too: each provisional stop is withdrawn in turn
    assert [k for k, _ in events] == ["provisional", "withdrawn"] * (len(events) // 2) and events, events
    assert events[0][1]["provisional"] == "stop"
    for (_, provisional), (_, withdrawn) in zip(events[::2], events[1::2]):
        assert withdrawn["position_ms"] - provisional["position_ms"] < 100   # held still while Whisper decided
    with sqlite3.connect(tmp_path / "history.sqlite") as db:   # no answer to the question: no rating
        assert db.execute("SELECT outcome, rating FROM sessions").fetchall() == [("completed", None)]
    assert "Well done" in result.stdout
    assert "How was that: easier, right, or harder? [say easier, right or harder]" in result.stdout
    assert "Not rated." in result.stdout


# -- coach listen --file -----------------------------------------------------------------------------------

def test_listen_file_prints_each_command_where_its_words_ended(tmp_path, whisper_dir):
    from tools import listen_eval as ev

    said = [(1.0, "Pause."), (4.0, "That feels good, thank you."), (7.0, "Time left?"), (10.0, "Help!")]
    clips = say(*(text for _, text in said))
    audio = np.zeros(13 * 16000)
    ends = []
    for (at, _), clip in zip(said, clips):
        audio[int(at * 16000):int(at * 16000) + len(clip)] += clip
        ends.append(at + len(clip) / 16000)
    path = tmp_path / "room.wav"
    write_wav_16k(path, ev.with_noise(audio, clips[0], 20.0, 4))
    result = subprocess.run(COACH + ["listen", "--file", str(path), "--json"], capture_output=True, text=True,
                            timeout=240, env=_env(whisper_dir))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    heard = [line for line in lines if line["stage"] == "heard"]
    assert [h["command"] for h in heard] == ["pause", "time-left", "safety-stop"]
    for h, end_s in zip(heard, [ends[0], ends[2], ends[3]]):
        assert abs(h["at_s"] - end_s) < 0.5, (h, end_s)


def test_listen_file_that_is_not_audio_is_one_line_and_exit_2(tmp_path, whisper_dir):
    path = tmp_path / "notes.wav"
    path.write_text("not audio")
    result = run_coach("listen", "--file", str(path), env=_env(whisper_dir))
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"coach: {path}: not an audio file") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_without_the_weights_listen_says_so_in_one_line_and_uses_the_grammar(tmp_path):
    (pause,) = say("Pause.")
    path = tmp_path / "pause.wav"
    write_wav_16k(path, np.concatenate([np.zeros(16000), pause, np.zeros(16000)]))
    result = run_coach("listen", "--file", str(path), env={"COACH_WHISPER_MODEL": str(tmp_path / "none")})
    assert result.returncode == 0, result.stderr
    assert "voice commands use the grammar recognizer: less reliable; run scripts/setup" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def write_wav_16k(path: Path, samples: np.ndarray) -> None:
    import wave

    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes())


def _env(whisper_dir: Path) -> dict[str, str]:
    import os

    return {**os.environ, "COACH_WHISPER_MODEL": str(whisper_dir)}
