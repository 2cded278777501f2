"""`coach export`, `render`, `cache` and `voices` as a user runs them: real engines, real files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hide_espeak import without_espeak
from support import decode_audio, ffprobe_json, private_env, run_coach

pytestmark = pytest.mark.slow   # real engines render real clips; real MP3s decoded by ffmpeg


@pytest.fixture
def home(tmp_path):
    """A private cache, screening file and history for one test."""
    return private_env(tmp_path)


def ffprobe_chapters(path: Path) -> list[dict]:
    return ffprobe_json(path, "-show_chapters")["chapters"]


@pytest.mark.parametrize("engine", ["espeak", "piper"])
def test_export_matches_show_to_the_millisecond(tmp_path, home, engine):
    out = tmp_path / "child-pose.mp3"
    # No hold sound, so the hold's silence can be checked (tests/test_hold_sound.py covers the sound).
    result = run_coach("export", "child-pose", "-o", str(out), "--yes", "--engine", engine, "--hold-sound", "none",
                       env=home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Wrote {out} (")
    shown = json.loads(run_coach("show", "child-pose", "--json", "--engine", engine, env=home).stdout)
    assert shown["lengths_from"] == "audio"
    chapters = ffprobe_chapters(out)
    assert [c["tags"]["title"] for c in chapters] == [c["title"] for c in shown["chapters"]]
    assert [(int(c["start"]), int(c["end"])) for c in chapters] == [(c["start_ms"], c["end_ms"]) for c in shown["chapters"]]
    samples = decode_audio(out)
    assert abs(len(samples) - shown["duration_ms"] * 22050 // 1000) <= 1
    # The 30 s hold is silent apart from the cues spoken inside it (0.1 s margin for the encoder).
    def at(ms):
        return ms * 22050 // 1000

    hold = next(c for c in shown["cues"] if c["kind"] == "hold")
    quiet = np.ones(len(samples), dtype=bool)
    for cue in shown["cues"]:
        if cue["text"]:
            quiet[max(0, at(cue["start_ms"] - 100)): at(cue["end_ms"] + 100)] = False
    span = slice(at(hold["start_ms"]), at(hold["end_ms"]))
    silent = samples[span][quiet[span]].astype(np.float64)
    assert len(silent) > at(10_000)
    assert np.sqrt(np.mean(silent ** 2)) < 5
    spoken = samples[span][~quiet[span]].astype(np.float64)
    assert np.sqrt(np.mean(spoken ** 2)) > 500
    vtt = out.with_suffix(".vtt").read_text()
    assert vtt.startswith("WEBVTT") and "Child's pose. About" in vtt


def test_existing_output_is_kept_without_force(tmp_path, home):
    out = tmp_path / "keep.mp3"
    out.write_bytes(b"precious")
    result = run_coach("export", "child-pose", "-o", str(out), "--yes", "--engine", "espeak", env=home)
    assert result.returncode != 0
    assert result.stderr.strip() == f"coach: {out} exists; pass --force to overwrite"
    assert out.read_bytes() == b"precious"


def test_an_unwritable_folder_is_one_clean_line(tmp_path, home):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run_coach("export", "child-pose", "-o", str(blocker / "out.mp3"), "--yes", "--engine", "espeak", env=home)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coach: ") and "Traceback" not in result.stderr
    assert not list(tmp_path.glob("**/*.mp3"))


def test_missing_espeak_library_is_one_clean_line(tmp_path, home):
    out = tmp_path / "x.mp3"
    result = run_coach("export", "child-pose", "-o", str(out), "--yes", "--engine", "espeak",
                   env={**home, **without_espeak(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.startswith("coach: espeak-ng is not available") and "apt-get install" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


def test_export_refuses_without_a_terminal_to_answer_screening(tmp_path, home):
    out = tmp_path / "x.mp3"
    result = run_coach("export", "child-pose", "-o", str(out), "--engine", "espeak", env=home, input_text="")
    assert result.returncode == 2
    assert "first asks about health conditions" in result.stderr and "--yes" in result.stderr
    assert not out.exists()


def test_export_refuses_a_condition_the_user_has_unless_cleared(tmp_path, home):
    Path(home["COACH_CONFIG"]).write_text(json.dumps({"conditions": {"knee-injury": True}}))
    out = tmp_path / "x.mp3"
    refused = run_coach("export", "child-pose", "-o", str(out), "--yes", "--engine", "espeak", env=home)
    assert refused.returncode == 2 and "not advised with a knee injury" in refused.stderr and "--cleared" in refused.stderr
    cleared = run_coach("export", "child-pose", "-o", str(out), "--yes", "--cleared", "--engine", "espeak", env=home)
    assert cleared.returncode == 0, cleared.stderr
    assert "doctor or therapist has cleared you" in out.with_suffix(".vtt").read_text()


def test_render_cache_and_prune(tmp_path, home):
    rendered = run_coach("render", "child-pose", "--engine", "espeak", env=home)
    assert rendered.returncode == 0, rendered.stderr
    stats = run_coach("cache", env=home)
    clips = int(stats.stdout.split(": ")[1].split()[0])
    assert clips > 10 and "hit rate" in stats.stdout
    # A clip no routine uses goes; the others stay.
    from coach.cache import ClipCache
    from coach.speech import get_voice

    cache = ClipCache(Path(home["COACH_CACHE_DIR"]))
    cache.get_or_render(get_voice("espeak"), "A sentence no routine says.")
    dry = run_coach("cache", "prune", "--engine", "espeak", "--dry-run", env=home)
    assert dry.stdout.startswith(f"Would remove 1 clip(s) no routine uses; {clips} would stay."), dry.stdout
    assert f"{clips + 1} clips" in run_coach("cache", env=home).stdout
    pruned = run_coach("cache", "prune", "--engine", "espeak", env=home)
    assert pruned.stdout.startswith("Removed 1 clip(s)"), pruned.stdout
    assert f"{clips} clips" in run_coach("cache", env=home).stdout


def test_voices_lists_both_engines(home):
    result = run_coach("voices", env=home)
    assert result.returncode == 0
    assert "espeak (available)" in result.stdout and "piper (available)" in result.stdout
    every = run_coach("voices", "--all", env=home)
    assert every.returncode == 0
    assert "more (coach voices --all" in result.stdout and "more (" not in every.stdout
    assert len(every.stdout.splitlines()) > len(result.stdout.splitlines())
    assert "en_US-joe-medium" in result.stdout
