"""Faults in the clip cache: it cannot be written (a file in the way, read-only, a full disk, a folder
where a clip goes), its clips are damaged or swapped, renders are killed or run two at once.

Fast tests use a stand-in voice (pure logic over real files); the slow ones run the real CLI with
espeak, real tmpfs mounts (skipped where mounting is not permitted) and real ALSA capture for `play`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import coach.atomic
from alsa_capture import read_capture, write_capture_config
from support import private_env, run_coach, tiny_script
from coach.cache import ClipCache
from coach.cli import cli
from coach.errors import CacheWriteError
from coach.session.clips import SessionClips
from coach.speech import get_voice
from coach.speech.base import Voice, VoiceInfo, VoiceSpec

FIX = "--cache-dir or COACH_CACHE_DIR"


class FakeVoice(Voice):
    """A deterministic noise burst per text; counts its renders."""

    spec = VoiceSpec("fake", "fake", None)

    def __init__(self) -> None:
        self.renders = 0

    def render(self, text: str) -> np.ndarray:
        self.renders += 1
        rng = np.random.default_rng(zlib.crc32(text.encode()))
        return rng.integers(-3000, 3000, 2000 + 37 * len(text), dtype=np.int16)

    def list_voices(self) -> list[VoiceInfo]:
        return []

    def cache_identity(self) -> str:
        return "fake-1"


@pytest.fixture
def voice() -> FakeVoice:
    return FakeVoice()


def cache_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def assert_every_clip_verifies(root: Path) -> int:
    """Every clip in the cache passes its checksum; no temp file is left. Returns how many clips."""
    cache = ClipCache(root)
    clips = [p for p in root.glob("*/*.wav") if p.is_file()]
    for path in clips:
        assert cache.verified_clip(path.stem) is not None, f"a clip that does not verify: {path}"
    assert [p for p in root.glob("*/.*")] == []
    return len(clips)


def flip_sample_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4] = bytes(b ^ 0x5A for b in data[middle:middle + 4])
    path.write_bytes(bytes(data))


# --- checksums (fast) -------------------------------------------------------------------------------

def test_flipped_samples_are_caught_on_use_and_the_clip_is_rendered_again(tmp_path, voice):
    cache = ClipCache(tmp_path / "cache")
    clip = cache.get_or_render(voice, "Breathe in.")
    path = cache.clip_path(cache.key(voice, "Breathe in."))
    flip_sample_bytes(path)
    assert cache.has(voice, "Breathe in.")          # header and length are fine: planning still trusts it
    assert cache.get(voice, "Breathe in.") is None   # its samples are not
    assert np.array_equal(cache.get_or_render(voice, "Breathe in."), clip)
    assert voice.renders == 2
    assert cache.get(voice, "Breathe in.") is not None and assert_every_clip_verifies(cache.root) == 1


@pytest.mark.parametrize("what", ["the clip", "the clip and its index"])
def test_a_valid_clip_copied_over_another_key_is_never_used(tmp_path, voice, what):
    cache = ClipCache(tmp_path / "cache")
    right = cache.get_or_render(voice, "Turn to the left.")
    cache.get_or_render(voice, "Rest.")
    src, dst = cache.key(voice, "Rest."), cache.key(voice, "Turn to the left.")
    shutil.copy(cache.clip_path(src), cache.clip_path(dst))
    if what == "the clip and its index":
        shutil.copy(cache.index_path(src), cache.index_path(dst))
    assert not cache.has(voice, "Turn to the left.")
    assert cache.get(voice, "Turn to the left.") is None
    assert np.array_equal(cache.get_or_render(voice, "Turn to the left."), right)
    assert assert_every_clip_verifies(cache.root) == 2


def test_a_clip_without_a_checksum_counts_as_missing(tmp_path, voice):
    cache = ClipCache(tmp_path / "cache")
    cache.get_or_render(voice, "Hold.")
    index = cache.index_path(cache.key(voice, "Hold."))
    index.write_text(index.read_text().replace('"blake2b"', '"other"'))   # as written before checksums
    assert not cache.has(voice, "Hold.") and cache.get(voice, "Hold.") is None
    cache.get_or_render(voice, "Hold.")
    assert cache.get(voice, "Hold.") is not None


def test_the_next_render_removes_killed_renders_temp_files_and_not_a_running_ones(tmp_path, voice):
    cache = ClipCache(tmp_path / "cache")
    cache.get_or_render(voice, "Rest.")
    shard = cache.clip_path(cache.key(voice, "Rest.")).parent
    process = subprocess.Popen(["true"])
    process.wait()                                        # its pid is now the pid of no process
    killed = shard / f".{'0' * 64}.wav.coach-{process.pid}-abcdefgh.tmp"
    running = shard / f".{'1' * 64}.wav.coach-{os.getppid()}-abcdefgh.tmp"
    for path in (killed, running):
        path.write_bytes(b"half a clip")
    cache.render_many(voice, ["Breathe out."], jobs=1)
    assert not killed.exists() and running.exists()


# --- a cache that cannot be written (fast) ----------------------------------------------------------

def test_a_full_disk_while_storing_is_one_clear_error_and_keeps_the_old_clip(tmp_path, voice, monkeypatch):
    cache = ClipCache(tmp_path / "cache")
    cache.get_or_render(voice, "Rest.")
    before = {p: p.read_bytes() for p in cache_files(cache.root)}

    def full(fd, *args, **kwargs):   # the temp file is created; writing into it fails (its fd is closed by the caller)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(coach.atomic, "_fdopen", full)
    with pytest.raises(CacheWriteError) as err:
        cache.render_and_store(voice, "Rest.")
    assert str(err.value) == (f"cannot write the audio cache {cache.root}: the disk is full; free some space or "
                              f"choose another cache folder ({FIX})")
    assert {p: p.read_bytes() for p in cache_files(cache.root)} == before   # no temp file, old clip intact


@pytest.mark.parametrize("fault", ["cache is a file", "shard is a file", "folder where the clip goes"])
def test_a_file_or_folder_in_the_way_is_named_in_one_line(tmp_path, voice, fault):
    root = tmp_path / "cache"
    cache = ClipCache(root)
    key = cache.key(voice, "Rest.")
    if fault == "cache is a file":
        root.write_text("not a folder")
        blocker, cause = root, "is a file, not a folder; move it away"
    elif fault == "shard is a file":
        root.mkdir()
        (root / key[:2]).write_text("not a folder")
        blocker, cause = root / key[:2], "is a file, not a folder; move it away"
    else:
        cache.clip_path(key).mkdir(parents=True)
        blocker, cause = cache.clip_path(key), "is a folder where a clip belongs; remove it"
    with pytest.raises(CacheWriteError) as err:
        cache.render_and_store(voice, "Rest.")
    assert str(err.value) == f"cannot write the audio cache {root}: {blocker} {cause} or choose another cache folder ({FIX})"
    assert not any(coach.atomic.is_temp_file(p) for p in tmp_path.rglob("*"))


def test_render_many_refuses_before_rendering_anything(tmp_path, voice):
    (tmp_path / "cache").write_text("not a folder")
    with pytest.raises(CacheWriteError, match="is a file, not a folder"):
        ClipCache(tmp_path / "cache").render_many(voice, ["One.", "Two.", "Three."], jobs=1)
    assert voice.renders == 0


def test_a_session_plays_on_when_the_cache_cannot_be_written_and_says_so_once(tmp_path, voice):
    (tmp_path / "cache").write_text("not a folder")
    told: list[CacheWriteError] = []
    clips = SessionClips(voice, ClipCache(tmp_path / "cache"), ahead=True, on_cache_error=told.append)
    texts = ["One.", "Two.", "Three."]
    for text in texts:
        clips.planned_ms(text)
    clips.start(texts)
    try:
        played = [clips.clip_for(text) for text in texts]
    finally:
        clips.close()
    assert all(len(clip) > 0 for clip in played)
    assert len(told) == 1 and "is a file, not a folder" in str(told[0])
    assert voice.renders == 3   # after the first failure no write is tried, and nothing is rendered twice


def test_cache_prune_prunes_the_folder_its_option_names(tmp_path):
    espeak = get_voice("espeak")
    a, b = ClipCache(tmp_path / "A"), ClipCache(tmp_path / "B")
    for cache in (a, b):   # a clip no routine uses, stored without rendering
        cache.store(espeak, "Words no routine says.", np.ones(500, dtype=np.int16))
    result = CliRunner().invoke(cli, ["cache", "--cache-dir", str(a.root), "prune", "--engine", "espeak",
                                      "--cache-dir", str(b.root)])
    assert result.exit_code == 0, result.output
    assert "Removed 1 clip(s)" in result.output
    assert (a.stats().clips, b.stats().clips) == (1, 0)


# --- the real CLI on a real cache that cannot be written (slow) -------------------------------------

@contextlib.contextmanager
def tmpfs(folder: Path, options: str) -> Iterator[Path]:
    folder.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    except FileNotFoundError:
        pytest.skip("no mount command")
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


@contextlib.contextmanager
def faulty_cache(tmp_path: Path, fault: str, text: str) -> Iterator[Path]:
    """A cache folder at which a write fails as `fault` says; `text`: a text the command renders."""
    root = tmp_path / "cache"
    if fault == "read-only":
        with tmpfs(root, "ro,size=200k"):
            yield root
    elif fault == "full":
        with tmpfs(root, "size=100k"):   # one or two espeak clips fit, then the disk is full
            yield root
    elif fault == "cache is a file":
        root.write_text("not a folder")
        yield root
    else:   # a folder where a clip goes
        cache = ClipCache(root)
        cache.clip_path(cache.key(get_voice("espeak"), text)).mkdir(parents=True)
        yield root


FAULTS = {"read-only": "it is on a read-only file system", "full": "the disk is full",
          "cache is a file": "is a file, not a folder", "folder where a clip goes": "is a folder where a clip belongs"}


@pytest.mark.slow
@pytest.mark.parametrize("command", ["render", "export"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_render_and_export_stop_with_one_line_naming_the_cache_and_the_fix(tmp_path, command, fault):
    script = tiny_script(tmp_path)
    with faulty_cache(tmp_path, fault, "Sit back towards your heels.") as root:
        args = [command, str(script), "--engine", "espeak", "--cache-dir", str(root)]
        if command == "export":
            args += ["-o", str(tmp_path / "out.mp3"), "--yes"]
        result = run_coach(*args, env=private_env(tmp_path))
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith(f"coach: cannot write the audio cache {root}: "), result.stderr
        assert result.stderr.count("\n") == 1 and FAULTS[fault] in result.stderr and FIX in result.stderr
        if root.is_dir():
            assert_every_clip_verifies(root)
    assert not (tmp_path / "out.mp3").exists() and not (tmp_path / "out.vtt").exists()


@pytest.mark.slow
def test_a_read_only_cache_that_holds_every_clip_still_exports(tmp_path):
    script = tiny_script(tmp_path)
    env = private_env(tmp_path)
    with tmpfs(tmp_path / "cache", "size=64m") as root:
        assert run_coach("render", str(script), "--engine", "espeak", "--cache-dir", str(root), env=env).returncode == 0
        subprocess.run(["mount", "-o", "remount,ro", str(root)], check=True)
        result = run_coach("export", str(script), "--engine", "espeak", "--cache-dir", str(root),
                           "-o", str(tmp_path / "out.mp3"), "--yes", env=env)
        assert result.returncode == 0 and result.stderr == "", result.stderr
    assert (tmp_path / "out.mp3").stat().st_size > 0


def play_captured(script: Path, tmp_path: Path, monkeypatch, cache: Path):
    config, raw = write_capture_config(tmp_path)
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(config))
    log = tmp_path / "timing.jsonl"
    result = CliRunner().invoke(cli, ["play", str(script), "--yes", "--engine", "espeak", "--verbosity", "minimal",
                                      "--cache-dir", str(cache), "--timing-log", str(log)])
    return result, read_capture(raw), log.read_text().splitlines()


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["cache is a file", "full"])
def test_play_goes_on_without_caching_and_says_so_once(tmp_path, monkeypatch, fault):
    script = tiny_script(tmp_path)
    warm = tmp_path / "warm"
    warm.mkdir()
    with faulty_cache(tmp_path, fault, "") as root:
        result, captured, log = play_captured(script, tmp_path, monkeypatch, root)
    assert result.exit_code == 0, result.output
    assert result.stderr.count(f"coach: cannot write the audio cache {root}: ") == 1, result.stderr
    assert "The session goes on without caching" in result.stderr and FIX in result.stderr
    assert "Traceback" not in result.output
    # Every cue was played: the same cues as a session on a cache that works.
    good_result, good_captured, good_log = play_captured(script, warm, monkeypatch, warm / "cache")
    assert good_result.exit_code == 0 and "cannot write" not in good_result.stderr
    assert [line for line in log if '"text"' in line] and len(log) == len(good_log)
    assert np.count_nonzero(captured) > 0.5 * np.count_nonzero(good_captured)


@pytest.mark.slow
def test_live_neither_reads_nor_writes_the_cache(tmp_path, monkeypatch):
    script = tiny_script(tmp_path)
    (tmp_path / "cache").write_text("not a folder")
    config, raw = write_capture_config(tmp_path)
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(config))
    result = CliRunner().invoke(cli, ["live", str(script), "--yes", "--engine", "espeak", "--verbosity", "minimal",
                                      "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert np.count_nonzero(read_capture(raw)) > 0 and (tmp_path / "cache").read_text() == "not a folder"


# --- kills and races (slow) --------------------------------------------------------------------------

RENDER_SCRIPT = """
import sys
from pathlib import Path
from coach.cache import ClipCache
from coach.speech import get_voice
texts = [f"Roll to your side {n} times." for n in range(int(sys.argv[2]))]
ClipCache(Path(sys.argv[1])).render_many(get_voice("espeak"), texts, jobs=int(sys.argv[3]))
"""


def start_render(root: Path, count: int, jobs: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", RENDER_SCRIPT, str(root), str(count), str(jobs)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_render_killed_at_a_random_point_leaves_only_clips_that_verify(tmp_path, seed):
    root = tmp_path / "cache"
    kill_after = random.Random(seed).randrange(1, 60)   # clips on disk when the kill comes
    process = start_render(root, 300, jobs=2)
    deadline = time.monotonic() + 120
    while len(list(root.glob("*/*.wav"))) < kill_after:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        assert time.monotonic() < deadline, "the render should have written more clips by now"
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)   # the render and its workers, wherever they are
    process.wait()
    # Until every worker of the killed group is reaped its pid still answers, and its temp files are (as
    # they should be) left alone: wait for the group to be gone, the event the next render's cleanup needs.
    gone_by = time.monotonic() + 60
    while time.monotonic() < gone_by:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.01)
    cache = ClipCache(root)
    for path in root.glob("*/*.wav"):
        assert cache.verified_clip(path.stem) is not None, path
    clips = cache.stats().clips
    assert clips >= kill_after
    cache.render_many(get_voice("espeak"), ["Roll to your side 299 times."], jobs=1)   # the next render
    assert cache.stats().temp_files == 0 and cache.stats().clips >= clips   # cleans the killed ones' temp files
    assert_every_clip_verifies(root)


@pytest.mark.slow
def test_two_renders_at_once_into_one_cache_both_succeed_and_every_clip_verifies(tmp_path):
    root = tmp_path / "cache"
    processes = [start_render(root, 24, jobs=2) for _ in range(2)]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()
    assert assert_every_clip_verifies(root) == 24


# --- damaged clips and the words an export speaks (slow) ---------------------------------------------

@pytest.mark.slow
def test_an_export_from_damaged_and_swapped_clips_speaks_the_right_words(tmp_path):
    script = tiny_script(tmp_path)
    env = private_env(tmp_path)
    fresh = tmp_path / "fresh.wav"
    assert run_coach("export", str(script), "--engine", "espeak", "-o", str(fresh), "--yes", env=env).returncode == 0
    root = Path(env["COACH_CACHE_DIR"])
    clips = sorted(root.glob("*/*.wav"), key=lambda p: p.stat().st_size)
    flip_sample_bytes(clips[-1])                  # damaged samples
    shutil.copy(clips[0], clips[1])               # a valid clip over another key
    again = tmp_path / "again.wav"
    result = run_coach("export", str(script), "--engine", "espeak", "-o", str(again), "--yes", env=env)
    assert result.returncode == 0, result.stderr
    assert again.read_bytes() == fresh.read_bytes()   # every cue the same samples as the fresh render
    assert assert_every_clip_verifies(root) == len(clips)   # and the bad clips were replaced
