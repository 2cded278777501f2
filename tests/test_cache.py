"""The clip cache with a real engine (espeak: fast) and real processes: kills, races, damaged files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from coach.audio_format import SAMPLE_RATE
from coach.cache import POOL_MIN_TEXTS, ClipCache, read_clip
from coach.speech import Voice, get_voice

pytestmark = pytest.mark.slow

# Renders texts[int(argv[2]):int(argv[3])] into the cache at argv[1] with argv[4] jobs.
RENDER_SCRIPT = """
import sys
from pathlib import Path
from coach.cache import ClipCache
from coach.speech import get_voice
texts = [f"Hold for {n} breaths." for n in range(1000)][int(sys.argv[2]):int(sys.argv[3])]
ClipCache(Path(sys.argv[1])).render_many(get_voice("espeak"), texts, jobs=int(sys.argv[4]))
"""


def texts(start: int, stop: int) -> list[str]:
    return [f"Hold for {n} breaths." for n in range(1000)][start:stop]


def run_render(root: Path, start: int, stop: int, jobs: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", RENDER_SCRIPT, str(root), str(start), str(stop), str(jobs)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def assert_only_whole_clips(root: Path) -> None:
    """Every clip is valid, and every other file is a clip's index or a hidden temp file."""
    for path in root.glob("*/*"):
        if path.name.startswith("."):
            assert path.name.endswith(".tmp"), path
        elif path.suffix == ".wav":
            assert read_clip(path) is not None, f"damaged clip {path}"
        else:
            assert path.suffix == ".json", path


@pytest.fixture(scope="module")
def voice() -> Voice:
    return get_voice("espeak")


@pytest.fixture
def cache(tmp_path: Path) -> ClipCache:
    return ClipCache(tmp_path / "cache")


def test_miss_then_hit(cache: ClipCache, voice: Voice) -> None:
    assert cache.get(voice, "Breathe in.") is None
    clip = cache.get_or_render(voice, "Breathe in.")
    assert (cache.hits, cache.misses) == (0, 2)
    assert np.array_equal(cache.get_or_render(voice, "  Breathe   in. "), clip)  # blanks do not matter
    assert (cache.hits, cache.misses) == (1, 2)
    assert (cache.stats().hits, cache.stats().misses, cache.stats().clips) == (1, 2, 1)
    with wave.open(str(cache.clip_path(cache.key(voice, "Breathe in."))), "rb") as wav:  # any tool reads it
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SAMPLE_RATE)
        assert wav.readframes(wav.getnframes()) == clip.tobytes()


def test_spoken_ms_renders_once_then_reads_the_header(cache: ClipCache, voice: Voice) -> None:
    ms = cache.clip_ms(voice, "Switch sides.")
    samples = len(cache.get_or_render(voice, "Switch sides."))
    assert ms == -(-samples * 1000 // SAMPLE_RATE)   # rounded up: a cue this long holds every sample
    assert ClipCache(cache.root).clip_ms(voice, "Switch sides.") == ms  # a new process: from the file
    assert cache.misses == 1


def test_key_follows_the_voice_identity(cache: ClipCache, voice: Voice) -> None:
    assert cache.key(get_voice("espeak", rate=150), "Rest") != cache.key(get_voice("espeak", rate=200), "Rest")
    assert cache.key(voice, "Rest") == cache.key(get_voice("espeak", rate=175), "Rest")
    assert cache.key(voice, "Rest") != cache.key(voice, "Rest.")


@pytest.mark.parametrize("damage", ["truncate", "bad header", "wrong format", "empty"])
def test_damaged_clip_is_detected_and_rendered_again(cache: ClipCache, voice: Voice, damage: str) -> None:
    clip = cache.get_or_render(voice, "Breathe out.")
    path = cache.clip_path(cache.key(voice, "Breathe out."))
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "bad header":
        data[0:4] = b"JUNK"
    elif damage == "wrong format":
        data[24:28] = (44100).to_bytes(4, "little")
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    assert cache.get(voice, "Breathe out.") is None
    assert np.array_equal(cache.get_or_render(voice, "Breathe out."), clip)
    assert read_clip(path) is not None


def test_prune_removes_exactly_the_unused_clips(cache: ClipCache, voice: Voice) -> None:
    for text in ("One.", "Two.", "Three."):
        cache.get_or_render(voice, text)
    (cache.root / "notes.txt").write_text("not the cache's")
    keep = {cache.key(voice, "Two.")}
    assert cache.stats().clips == 3
    assert cache.prune(keep, dry_run=True) == 2          # says what would go, deletes nothing
    assert cache.stats().clips == 3
    assert cache.prune(keep) == 2
    assert cache.keys() == keep
    assert [e.text for e in cache.entries()] == ["Two."]
    assert cache.stats().clips == 1 and (cache.root / "notes.txt").exists()
    assert cache.prune(keep) == 0


def test_render_many_skips_what_is_cached_and_reports_progress(cache: ClipCache, voice: Voice) -> None:
    cache.get_or_render(voice, texts(0, 1)[0])
    calls: list[tuple[int, int]] = []
    cache.render_many(voice, texts(0, 4) + texts(0, 2), jobs=1, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert cache.keys() == {cache.key(voice, t) for t in texts(0, 4)}


def test_render_many_in_worker_processes_matches_in_process(cache: ClipCache, voice: Voice) -> None:
    batch = texts(0, POOL_MIN_TEXTS)
    calls: list[tuple[int, int]] = []
    cache.render_many(voice, batch, jobs=2, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (len(batch), len(batch))
    assert cache.stats().clips == len(batch)
    for text in batch[:2]:  # rendered in a worker; the same samples as here
        assert np.array_equal(cache.get(voice, text), voice.render(text))


def test_a_render_killed_midway_leaves_only_whole_clips(tmp_path: Path, voice: Voice) -> None:
    root = tmp_path / "cache"
    process = run_render(root, 0, 400, jobs=2)
    deadline = time.monotonic() + 60
    while len(list(root.glob("*/*.wav"))) < 5:
        assert process.poll() is None and time.monotonic() < deadline, "the render should still be running"
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the CLI and its workers, at once, mid-write or not
    process.wait()
    assert_only_whole_clips(root)
    cache = ClipCache(root)
    assert 0 < cache.stats().clips < 400
    assert all(cache.get(voice, t) is not None for t in texts(0, 400) if cache.key(voice, t) in cache.keys())
    cache.render_many(voice, texts(0, 3), jobs=1)  # and it carries on
    assert_only_whole_clips(root)


def test_two_processes_rendering_the_same_texts(tmp_path: Path, voice: Voice) -> None:
    root = tmp_path / "cache"
    processes = [run_render(root, 0, 12, jobs=1) for _ in range(2)]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    assert_only_whole_clips(root)
    cache = ClipCache(root)
    assert cache.keys() == {cache.key(voice, t) for t in texts(0, 12)}  # each text exactly one clip
    assert cache.stats().temp_files == 0
