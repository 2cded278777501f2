"""Play on an empty cache: sound at once, synthesis ahead on a worker, every clip written to the cache,
and a session that waits for a late clip instead of skipping or cutting it. Real engines, real ALSA
playback captured to a file, the real CLI in this process (so a test can slow the engine down).

Sessions run in real time, so the script is tiny (about 20 s cold at minimal verbosity).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from alsa_capture import read_capture, write_capture_config
from support import tiny_script
from coach.cache import ClipCache, read_clip
from coach.cli import cli
from coach.safety import exit_texts
from coach.speech import get_voice

pytestmark = pytest.mark.slow

SLOW_TEXT = "Tiny stretch. About 1 minute."   # the first sentence, due 1.5 s after the start


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> Path:
    script = tiny_script(tmp_path)
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))
    return script


def play(script: Path, tmp_path: Path, monkeypatch, name: str, engine: str) -> tuple[np.ndarray, list[dict]]:
    """One real session through ALSA capture: (what the device got, the timing log)."""
    folder = tmp_path / name
    folder.mkdir()
    config, raw = write_capture_config(folder)
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(config))
    log = folder / "timing.jsonl"
    result = CliRunner().invoke(cli, ["play", str(script), "--yes", "--engine", engine, "--verbosity", "minimal",
                                      "--timing-log", str(log)])
    assert result.exit_code == 0, result.output
    return read_capture(raw), [json.loads(line) for line in log.read_text().splitlines()]


def sounds(captured: np.ndarray) -> np.ndarray:
    """The samples that make sound, in order: what was played, whatever the pauses between."""
    return captured[captured != 0]


def spoken(log: list[dict]) -> list[str]:
    return [e["text"] for e in log if e["text"]]


@pytest.mark.parametrize("engine", ["piper", "espeak"])
def test_a_cold_play_fills_the_cache_and_plays_what_a_warm_play_plays(tiny, tmp_path, monkeypatch, engine):
    cold_audio, cold_log = play(tiny, tmp_path, monkeypatch, "cold", engine)
    cache, voice = ClipCache(tmp_path / "cache"), get_voice(engine)
    # Every clip the session spoke, and what a safety stop says, is in the cache and whole.
    for text in [*spoken(cold_log), *exit_texts([None, "kneeling"])]:
        assert cache.has(voice, text), text
        assert read_clip(cache.clip_path(cache.key(voice, text))) is not None, text
    warm_audio, warm_log = play(tiny, tmp_path, monkeypatch, "warm", engine)
    assert spoken(warm_log) == spoken(cold_log)
    assert not any("waited_ms" in e for e in warm_log)
    # Same clips, same order: only the pauses between them differ (a cold run plans generous slots).
    assert len(sounds(cold_audio)) > 0
    assert np.array_equal(sounds(cold_audio), sounds(warm_audio))
    assert warm_log[-1]["scheduled_ms"] <= cold_log[-1]["scheduled_ms"]


def test_a_slow_voice_makes_the_session_wait_and_never_skips_or_cuts(tiny, tmp_path, monkeypatch):
    from coach.speech.espeak import EspeakVoice

    render = EspeakVoice.render

    def slow_render(self, text: str) -> np.ndarray:
        if text == SLOW_TEXT:
            import time

            time.sleep(4.0)   # far longer than the 1.5 s from the start to its deadline
        return render(self, text)

    monkeypatch.setattr(EspeakVoice, "render", slow_render)
    cold_audio, cold_log = play(tiny, tmp_path, monkeypatch, "slow", "espeak")
    waited = {e["text"]: e["waited_ms"] for e in cold_log if "waited_ms" in e}
    assert waited.get(SLOW_TEXT, 0) > 1000, cold_log
    assert all(abs(e["late_ms"]) < 250 for e in cold_log)   # it waited; nothing played late over others
    monkeypatch.setattr(EspeakVoice, "render", render)
    warm_audio, warm_log = play(tiny, tmp_path, monkeypatch, "warm", "espeak")
    assert spoken(cold_log) == spoken(warm_log) and SLOW_TEXT in spoken(cold_log)
    assert np.array_equal(sounds(cold_audio), sounds(warm_audio))   # nothing skipped, nothing cut
