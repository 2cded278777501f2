"""Faults at the export's output: paths that are not regular files (devices, fifos, folders, links), and
exports killed part-way (their temp files are removed by the next export into the folder, never those
of an export still running).
"""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from support import COACH, decode_audio, private_env, run_coach
from coach.atomic import is_temp_file, remove_orphaned_temps
from coach.audio_format import ms_to_samples
from coach.errors import UsageError
from coach.export import export_timeline
from coach.export.writer import check_output
from coach.timeline.model import Chapter, Cue, Timeline


def clip(text: str) -> np.ndarray:
    return np.full(ms_to_samples(400), 1000, dtype=np.int16)


def short_session() -> Timeline:
    return Timeline("s", "Short", 2000, (Cue(500, 900, "intro", "Hi"),), (Chapter("All", 0, 2000),))


def snapshot(path: Path) -> tuple:
    """What a path is: its type, device numbers and link target, and a regular file's bytes."""
    st = os.lstat(path)
    target = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
    data = path.read_bytes() if stat.S_ISREG(st.st_mode) else None
    return stat.S_IFMT(st.st_mode), st.st_rdev, target, data


def make_target(tmp_path: Path, kind: str) -> Path:
    out = tmp_path / "out.mp3"
    if kind == "/dev/null":
        return Path("/dev/null")
    if kind == "a device node":
        try:
            os.mknod(out, stat.S_IFCHR | 0o666, os.makedev(1, 3))   # another /dev/null
        except PermissionError:
            pytest.skip("making a device node needs root")
    elif kind == "a fifo":
        os.mkfifo(out)
    elif kind == "a folder":
        out.mkdir()
    elif kind == "a link to a device":
        out.symlink_to("/dev/null")
    elif kind == "a link to a fifo":   # like /dev/stdout -> /proc/self/fd/1 when stdout is a pipe
        os.mkfifo(tmp_path / "pipe")
        out.symlink_to(tmp_path / "pipe")
    elif kind == "a link to a regular file":
        (tmp_path / "real.mp3").write_bytes(b"the real file")
        out.symlink_to("real.mp3")
    elif kind == "a dangling link":
        out.symlink_to(tmp_path / "nowhere.mp3")
    return out


KINDS = {"/dev/null": "is a device", "a device node": "is a device", "a fifo": "is a fifo",
         "a folder": "is a folder", "a link to a device": "is a symbolic link to /dev/null, not a regular file",
         "a link to a fifo": "is a symbolic link to", "a link to a regular file": "is a symbolic link to real.mp3;",
         "a dangling link": "is a symbolic link to"}


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("kind", list(KINDS))
def test_only_a_regular_file_is_ever_written_or_replaced(tmp_path, kind, force):
    out = make_target(tmp_path, kind)
    before = {p: snapshot(p) for p in [out, *tmp_path.iterdir()]}
    with pytest.raises(UsageError) as err:
        export_timeline(short_session(), clip, out, fmt="mp3", force=force)
    assert err.value.exit_code == 2
    assert str(err.value).startswith(f"{out} {KINDS[kind]}")
    assert {p: snapshot(p) for p in [out, *tmp_path.iterdir()]} == before   # nothing written, nothing replaced
    assert not out.with_suffix(".vtt").exists()


def test_a_link_to_a_regular_file_names_the_file_to_write_instead(tmp_path):
    out = make_target(tmp_path, "a link to a regular file")
    with pytest.raises(UsageError, match=f"give the file itself \\(-o {tmp_path / 'real.mp3'}\\)"):
        check_output(out, force=True)


def test_a_transcript_path_that_is_not_a_regular_file_is_refused(tmp_path):
    os.mkfifo(tmp_path / "out.vtt")
    with pytest.raises(UsageError, match="out.vtt is a fifo"):
        export_timeline(short_session(), clip, tmp_path / "out.mp3", force=True)
    assert not (tmp_path / "out.mp3").exists()


@pytest.mark.parametrize("output", ["/dev/null", "/dev/stdout"])
def test_the_cli_refuses_a_device_or_link_output_with_one_line_and_exit_2(tmp_path, output):
    before = snapshot(Path(output))
    result = run_coach("export", "child-pose", "-o", output, "--format", "mp3", "--force", "--yes",
                       env=private_env(tmp_path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"coach: {output} is a ") and result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert snapshot(Path(output)) == before and not Path(output + ".vtt").exists()


# --- temp files of killed exports (fast) -------------------------------------------------------------

def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_the_next_export_removes_only_temp_files_whose_writer_is_gone(tmp_path):
    dead, alive = dead_pid(), os.getppid()
    old = time.time() - 2 * 3600
    files = {
        f".out.mp3.coach-{dead}-abcd_123.tmp": False,      # a killed export's: removed
        f".other.vtt.coach-{dead}-zzzzzzzz.tmp": False,    # another name's, also killed: removed
        f".b.mp3.coach-{alive}-abcdefgh.tmp": True,        # a running export's: kept
        ".out.mp3.k2j4h5g6.tmp": True,                     # an older coach's name, recent: kept
        ".old.mp3.q1w2e3r4.tmp": False,                    # an older coach's name, hours old: removed
        ".notes.q1w2e3r4.tmp": True,                       # not an audio file's: not known to be coach's
        ".hidden": True, "keep.mp3.tmp": True,             # not coach's at all
    }
    for name in files:
        (tmp_path / name).write_bytes(b"partial")
    os.utime(tmp_path / ".old.mp3.q1w2e3r4.tmp", (old, old))
    os.utime(tmp_path / ".notes.q1w2e3r4.tmp", (old, old))
    export_timeline(short_session(), clip, tmp_path / "out.mp3")
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == sorted([name for name, stays in files.items() if stays] + ["out.mp3", "out.vtt"])


def test_temp_names_carry_the_writers_pid(tmp_path):
    from coach.atomic import atomic_files

    with atomic_files() as files:
        files.open(tmp_path / "x.mp3").write(b"data")
        (temp,) = [p for p in tmp_path.iterdir() if p.name != "x.mp3"]
        assert temp.name.startswith(f".x.mp3.coach-{os.getpid()}-") and is_temp_file(temp)
        assert remove_orphaned_temps(tmp_path) == 0     # a live writer's: never removed
    assert [p.name for p in tmp_path.iterdir()] == ["x.mp3"]


# --- killed and concurrent exports, real processes (slow) --------------------------------------------

ROUTINE = "morning-back"


@pytest.fixture(scope="module")
def warm_env(tmp_path_factory) -> dict[str, str]:
    """A cache holding every clip of the routine (espeak), so an export spends its time writing."""
    folder = tmp_path_factory.mktemp("warm")
    env = private_env(folder)
    result = run_coach("render", ROUTINE, "--engine", "espeak", env=env)
    assert result.returncode == 0, result.stderr
    return env


def start_export(out: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(COACH + ["export", ROUTINE, "--engine", "espeak", "-o", str(out), "--yes"],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def wait_for_temp(folder: Path, name: str, min_bytes: int, process: subprocess.Popen[str]) -> Path:
    """The export's temp audio file once it holds `min_bytes` (the export must still be writing)."""
    deadline = time.monotonic() + 120
    while True:
        for path in folder.glob(f".{name}.coach-{process.pid}-*.tmp"):
            if path.stat().st_size >= min_bytes:
                return path
        assert process.poll() is None, f"the export ended before writing {min_bytes} bytes: {process.stderr}"
        assert time.monotonic() < deadline, "the export should be writing by now"
        time.sleep(0.002)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_export_killed_at_a_random_point_leaves_nothing_the_next_export_does_not_clean(tmp_path, warm_env, seed):
    out = tmp_path / "back.mp3"
    process = start_export(out, warm_env)
    wait_for_temp(tmp_path, out.name, random.Random(seed).randrange(0, 400_000), process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not out.exists() and not out.with_suffix(".vtt").exists()   # no partial output under its name
    assert any(is_temp_file(p) for p in tmp_path.iterdir())            # what a kill leaves
    result = run_coach("export", ROUTINE, "--engine", "espeak", "-o", str(tmp_path / "again.mp3"), "--yes",
                       env=warm_env)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.mp3", "again.vtt"]
    assert len(decode_audio(tmp_path / "again.mp3")) > 0


@pytest.mark.slow
def test_an_export_starting_while_another_writes_into_the_folder_leaves_its_temp_file_alone(tmp_path, warm_env):
    first = start_export(tmp_path / "a.mp3", warm_env)
    wait_for_temp(tmp_path, "a.mp3", 1, first)
    os.killpg(first.pid, signal.SIGSTOP)             # held mid-write while the whole second export runs
    try:
        second = run_coach("export", ROUTINE, "--engine", "espeak", "-o", str(tmp_path / "b.mp3"), "--yes",
                           env=warm_env)
        assert any(p.name.startswith(f".a.mp3.coach-{first.pid}-") for p in tmp_path.iterdir())
    finally:
        os.killpg(first.pid, signal.SIGCONT)
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp3", "a.vtt", "b.mp3", "b.vtt"]
    assert (tmp_path / "a.mp3").read_bytes() == (tmp_path / "b.mp3").read_bytes()
